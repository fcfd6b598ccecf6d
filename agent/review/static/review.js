/* fazhi review: the few things a page cannot do without script. Every write is a JSON POST with the
   session's CSRF token; after it the page reloads (the server renders every state). */
(function () {
  "use strict";
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const reviewer = document.getElementById("reviewer");
  const msg = document.getElementById("msg");

  if (reviewer) {
    const saved = localStorage.getItem("fazhi-reviewer");
    if (saved && !reviewer.value) reviewer.value = saved;
    reviewer.addEventListener("change", () => localStorage.setItem("fazhi-reviewer", reviewer.value.trim()));
  }

  function say(text, bad) {
    msg.textContent = text;
    msg.className = "msg" + (bad ? " bad" : "");
    msg.hidden = false;
  }

  const doc = document.getElementById("doc");
  if (!doc) return;
  const source = document.getElementById("source");
  const aside = document.querySelector("aside.right");
  const base = "/doc/" + encodeURIComponent(doc.dataset.doc);

  async function post(body) {
    body.extraction_id = Number(doc.dataset.extraction);
    const who = reviewer ? reviewer.value.trim() : "";
    if (who) body.reviewer = who;
    const response = await fetch(base + "/correct", {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { say(data.error || "The server answered " + response.status, true); return; }
    sessionStorage.setItem("fazhi-scroll", JSON.stringify([source.scrollTop, aside.scrollTop, window.scrollY]));
    location.reload();
  }

  // Scroll positions survive the reload that follows a change.
  const kept = JSON.parse(sessionStorage.getItem("fazhi-scroll") || "null");
  if (kept) {
    sessionStorage.removeItem("fazhi-scroll");
    [source.scrollTop, aside.scrollTop] = kept;
    window.scrollTo(0, kept[2]);
  }

  function changed(el) {
    if (el.tagName === "SELECT") {
      const initial = Array.from(el.options).find((o) => o.defaultSelected) || el.options[0];
      return el.value !== (initial ? initial.value : "");
    }
    return el.value !== el.defaultValue;
  }

  function values(box, onlyChanged) {
    const out = {};
    box.querySelectorAll("input[name], select[name]").forEach((el) => {
      if (el.type !== "hidden" && (!onlyChanged || changed(el))) out[el.name] = el.value;
    });
    return out;
  }

  // ---- offsets of a selection, in characters (code points) of the stored text
  const chars = (s) => Array.from(s).length;

  function offsetOf(node, offset) {
    if (node.nodeType === Node.TEXT_NODE) {
      return Number(node.parentElement.closest("[data-o]").dataset.o) + chars(node.data.slice(0, offset));
    }
    if (node === source) {
      const child = source.children[offset];
      if (child) return Number(child.dataset.o);
      const last = source.lastElementChild;
      return last ? Number(last.dataset.o) + chars(last.textContent) : 0;
    }
    const seg = node.closest("[data-o]");
    return Number(seg.dataset.o) + (offset > 0 ? chars(seg.textContent) : 0);
  }

  const selStart = document.getElementById("sel-start");
  const selEnd = document.getElementById("sel-end");
  document.addEventListener("selectionchange", () => {
    const sel = window.getSelection();
    if (!selStart || !sel.rangeCount || sel.isCollapsed) return;
    const range = sel.getRangeAt(0);
    if (!source.contains(range.startContainer) || !source.contains(range.endContainer)) return;
    const start = offsetOf(range.startContainer, range.startOffset);
    const end = offsetOf(range.endContainer, range.endOffset);
    if (!(end > start)) return;
    selStart.value = start;
    selEnd.value = end;
    const text = range.toString();
    document.getElementById("sel-text").textContent = text.length > 80 ? text.slice(0, 79) + "…" : text;
    document.getElementById("sel-span").textContent = "[" + start + ", " + end + ")";
  });

  const addTask = document.getElementById("add-task");
  if (addTask) {
    addTask.addEventListener("change", () => {
      document.querySelectorAll(".add-fields").forEach((box) => { box.hidden = box.dataset.task !== addTask.value; });
    });
    document.getElementById("add-form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (!selStart.value) { say("Select the item's text in the source first.", true); return; }
      const box = document.querySelector('.add-fields[data-task="' + CSS.escape(addTask.value) + '"]');
      post({action: "add", task: addTask.value, start: Number(selStart.value), end: Number(selEnd.value),
            values: values(box, false)});
    });
  }

  document.querySelectorAll("form.record").forEach((form) => form.addEventListener("submit", (event) => {
    event.preventDefault();
    const changes = values(form, true);
    if (!Object.keys(changes).length) { say("Nothing changed."); return; }
    post({action: "set", task: form.dataset.task, values: changes});
  }));

  document.getElementById("mark-reviewed").addEventListener("click", () => post({action: "reviewed"}));

  // ---- items: buttons, edit forms, and the way between an item and its highlight
  function flash(el) {
    el.classList.add("flash");
    setTimeout(() => el.classList.remove("flash"), 1200);
  }

  aside.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-act]");
    const item = button && button.closest("li.item");
    if (!item) return;
    const act = button.dataset.act, form = item.querySelector("form.edit");
    if (act === "show") {
      const seg = source.querySelector('[data-keys~="' + CSS.escape(item.dataset.task + "|" + item.dataset.key) + '"]');
      if (seg) { seg.scrollIntoView({block: "center"}); flash(seg); }
    } else if (act === "edit") {
      form.hidden = !form.hidden;
    } else if (act === "cancel") {
      form.reset();
      form.hidden = true;
    } else {
      post({action: act, task: item.dataset.task, key: item.dataset.key});
    }
  });

  aside.addEventListener("submit", (event) => {
    const form = event.target.closest("form.edit");
    if (!form) return;
    event.preventDefault();
    const item = form.closest("li.item");
    const changes = values(form, true);
    if (!Object.keys(changes).length) { say("Nothing changed."); return; }
    post({action: "edit", task: item.dataset.task, key: item.dataset.key, values: changes});
  });

  source.addEventListener("click", (event) => {
    const seg = event.target.closest("[data-keys]");
    if (!seg || !window.getSelection().isCollapsed) return;
    const [task, key] = seg.dataset.keys.split(" ")[0].split("|");
    const item = aside.querySelector('li.item[data-task="' + CSS.escape(task) + '"][data-key="' + CSS.escape(key) + '"]');
    if (!item) return;
    item.closest("details").open = true;
    item.scrollIntoView({block: "center"});
    flash(item);
  });
})();
