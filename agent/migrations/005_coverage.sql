-- What the model path read of each document: the parts found and, per task, the share of the body
-- it was sent and which kinds of the body it was not sent.
ALTER TABLE extractions ADD COLUMN coverage JSON;
