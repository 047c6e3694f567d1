-- Where a payload's own items begin when its span reaches back further than them, in unix
-- seconds (see `aduan_core::Window::run_from`): a WhatsApp deletion's span reaches three days
-- back, to any message it may delete, and its own time is when it came. The runs of a group
-- are found from `run_from` (else `span_from`) to `span_to`, so that a sender deleting a
-- message every few days does not chain their whole history into the run of their newest
-- message; a fold of a run still reads every payload whose span touches it. NULL when the
-- span is the payload's items' own, and for links made before this migration (their spans
-- chain as before until a rebuild links them again).
ALTER TABLE raw_groups ADD COLUMN run_from BIGINT;
