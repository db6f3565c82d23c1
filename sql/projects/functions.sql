-- Overdue tasks, the rule that a task is done when all its assignees are, and
-- the history views (docs/projects.md).

-- Derived, never stored.
CREATE OR REPLACE FUNCTION crm.overdue(t crm.task) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN t.due_date < current_date AND t.status NOT IN ('done', 'cancelled');
COMMENT ON FUNCTION crm.overdue(crm.task) IS 'A task past its due date and not finished: crm.overdue(t), or t.overdue with crm on the search_path';

-- Each assignee ticks only their own box; nothing changes on a finished task.
CREATE OR REPLACE FUNCTION crm.task_assignee_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    task_status text;
BEGIN
    SELECT status INTO task_status FROM crm.task WHERE id = coalesce(NEW.task_id, OLD.task_id) FOR UPDATE;
    IF task_status IN ('done', 'cancelled') THEN
        RAISE EXCEPTION 'task % is %, its assignees cannot change', coalesce(NEW.task_id, OLD.task_id), task_status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.task_id <> OLD.task_id OR NEW.assignee <> OLD.assignee) THEN
        RAISE EXCEPTION 'an assignment cannot be moved; delete it and add a new one'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NEW.done IS DISTINCT FROM (TG_OP = 'UPDATE' AND OLD.done) AND NEW.assignee <> current_user THEN
        RAISE EXCEPTION '% cannot mark the part of % on task %', current_user, NEW.assignee, NEW.task_id
            USING ERRCODE = 'insufficient_privilege', HINT = 'Each assignee marks only their own part.';
    END IF;
    NEW.done_at := CASE WHEN NEW.done THEN coalesce(NEW.done_at, now()) END;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER guard BEFORE INSERT OR UPDATE OR DELETE ON crm.task_assignee
    FOR EACH ROW EXECUTE FUNCTION crm.task_assignee_guard();

-- When the last assignee finishes, the task is done (through in_progress if it was open).
CREATE OR REPLACE FUNCTION crm.complete_when_all_done() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    finished bigint;
BEGIN
    FOR finished IN
        SELECT DISTINCT c.task_id FROM changed c
        WHERE EXISTS (SELECT FROM crm.task_assignee a WHERE a.task_id = c.task_id)
          AND NOT EXISTS (SELECT FROM crm.task_assignee a WHERE a.task_id = c.task_id AND NOT a.done)
    LOOP
        UPDATE crm.task SET status = 'in_progress' WHERE id = finished AND status = 'open';
        UPDATE crm.task SET status = 'done' WHERE id = finished AND status = 'in_progress';
    END LOOP;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER complete_update AFTER UPDATE ON crm.task_assignee REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION crm.complete_when_all_done();
CREATE OR REPLACE TRIGGER complete_delete AFTER DELETE ON crm.task_assignee REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION crm.complete_when_all_done();

-- A task with assignees cannot be declared done over their heads.
CREATE OR REPLACE FUNCTION crm.task_done_check() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    pending text;
BEGIN
    SELECT string_agg(assignee, ', ' ORDER BY assignee) INTO pending
    FROM crm.task_assignee WHERE task_id = NEW.id AND NOT done;
    IF pending IS NOT NULL THEN
        RAISE EXCEPTION 'task % cannot be done: % not finished yet', NEW.id, pending
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'The task becomes done by itself when every assignee marks their part done.';
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER done_check AFTER UPDATE ON crm.task FOR EACH ROW
    WHEN (NEW.status = 'done' AND OLD.status IS DISTINCT FROM 'done') EXECUTE FUNCTION crm.task_done_check();

CREATE OR REPLACE VIEW crm.project_comments AS
SELECT c.project_id, NULL::bigint AS task_id, c.id AS comment_id, c.author, c.body, c.created_at
FROM crm.comment c WHERE c.project_id IS NOT NULL
UNION ALL
SELECT t.project_id, t.id, c.id, c.author, c.body, c.created_at
FROM crm.comment c JOIN crm.task t ON t.id = c.task_id WHERE t.project_id IS NOT NULL;
COMMENT ON VIEW crm.project_comments IS 'A project''s own comments and those of its tasks (task_id says which)';

CREATE OR REPLACE VIEW crm.account_history AS
SELECT i.account_id, i.occurred_at, i.channel, i.direction, i.subject, i.notes,
       i.contact_id, concat_ws(' ', c.first_name, c.last_name) AS contact_name,
       CASE WHEN i.contact_id IS NULL THEN 'account' ELSE 'contact' END AS via,
       i.deal_id, i.project_id, i.task_id, i.document_id, i.id AS interaction_id
FROM crm.interaction i
LEFT JOIN crm.contact c ON c.id = i.contact_id
ORDER BY i.account_id, i.occurred_at DESC, i.id DESC;
COMMENT ON VIEW crm.account_history IS
    'An account''s history: its own interactions and those of its contacts, newest first';
