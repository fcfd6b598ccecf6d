"""Whether a report's metadata can be read from the text a model was sent: a field that cannot is
null (dropped, counted), never stored as a fact (an instruction planted in a page cannot make fazhi
store a region, a year or an issuer the report does not give)."""

from typing import Any

from fazhi.agent.grounding import normalise

STANDARD_BODIES = ("人民政府", "政府", "人大常委会", "管理委员会", "管委会")
CN_DIGITS = "〇一二三四五六七八九"


def meta_field_errors(meta: Any, flat: str) -> dict[str, str]:
    errors = {}
    for name in ("title", "region"):
        value = getattr(meta, name)
        if value and normalise(value) not in flat:
            errors[name] = f"{name} {value!r} is not in the text"
    if meta.province and normalise(meta.province) not in flat and not province_follows(meta, flat):
        errors["province"] = f"province {meta.province!r} is neither in the text nor the province of its region"
    if meta.issuer and not composable(normalise(meta.issuer), flat):
        errors["issuer"] = f"issuer {meta.issuer!r} is not in the text (nor a place in it with its body)"
    if meta.report_year and not year_in(meta.report_year, flat):
        errors["report_year"] = f"the year {meta.report_year} is not in the text"
    if meta.published_date and not date_in(meta.published_date, flat):
        errors["published_date"] = f"the date {meta.published_date} is not in the text"
    return errors


def province_follows(meta: Any, flat: str) -> bool:
    """The province of a region named in the text (by the gazetteer, or the areas' table)."""
    from fazhi.schemas.rules import areas, gazetteer

    region = meta.region
    if not region or normalise(region) not in flat:
        return False
    area = next((a for _, _, a, w in areas.find_areas(region) if w == region), None)
    known = area.province if area else gazetteer.province_of(region)
    return known == meta.province or (region == meta.province)


def composable(issuer: str, flat: str) -> bool:
    """In the text, or a place in the text followed by a body in the text (or a government's own)."""
    if issuer in flat:
        return True
    for cut in range(2, len(issuer) - 1):
        place, body = issuer[:cut], issuer[cut:]
        if place in flat and (body in flat or body in STANDARD_BODIES):
            return True
    return False


def year_in(year: int, flat: str) -> bool:
    return str(year) in flat or "".join(CN_DIGITS[int(d)] for d in str(year)) in flat


def date_in(iso: str, flat: str) -> bool:
    y, m, d = (int(x) for x in iso.split("-"))
    forms = (iso, f"{y}年{m}月{d}日", f"{y}/{m}/{d}", f"{y}.{m}.{d}", f"{y}年{m:02d}月{d:02d}日",
             f"{y}/{m:02d}/{d:02d}", f"{y}.{m:02d}.{d:02d}", f"{y}-{m}-{d}")
    return any(f in flat for f in forms) or chinese_date(y, m, d) in flat


def chinese_date(y: int, m: int, d: int) -> str:
    def small(n: int) -> str:
        if n < 10:
            return CN_DIGITS[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")
    return "".join(CN_DIGITS[int(c)] for c in str(y)) + f"年{small(m)}月{small(d)}日"
