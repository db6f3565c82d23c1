-- Teams, projects and tasks (each assignee ticks their own box; the task is
-- done when all have), interactions, comments and documents.
BEGIN;
SELECT plan(18);

INSERT INTO crm.account (id, name, industry, region, email) VALUES (900001, 'Vodokanal Test', 'water_supply', 'Kyiv', 'info@vodokanal.example.ua');
INSERT INTO crm.contact (id, account_id, first_name, last_name, email, channels)
VALUES (900001, 900001, 'Olena', 'Shevchenko', 'olena@vodokanal.example.ua', '{"fax": "+380 44 000 0000"}');

-- Tasks: each assignee ticks their own box; the task is done when all have -----------------------
CREATE ROLE pgcrm_t_anna NOLOGIN IN ROLE crm_manager;
CREATE ROLE pgcrm_t_ivan NOLOGIN IN ROLE crm_manager;
INSERT INTO crm.task (id, title, due_date) VALUES (900001, 'Connect the MES', current_date - 1), (900002, 'Write the manual', current_date + 10);
INSERT INTO crm.task_assignee (task_id, assignee) VALUES (900001, 'pgcrm_t_anna'), (900001, 'pgcrm_t_ivan');
SELECT is((SELECT crm.overdue(t) FROM crm.task t WHERE id = 900001), true, 'overdue is derived from the due date');
SELECT is((SELECT crm.overdue(t) FROM crm.task t WHERE id = 900002), false, '... and false before it');
SELECT throws_ok($$UPDATE crm.task SET status = 'in_progress' WHERE id = 900001; UPDATE crm.task SET status = 'done' WHERE id = 900001$$,
    '55000', NULL, 'a task with unfinished assignees cannot be declared done');
SET ROLE pgcrm_t_anna;
SELECT throws_ok($$UPDATE crm.task_assignee SET done = true WHERE task_id = 900001 AND assignee = 'pgcrm_t_ivan'$$, '42501', NULL,
    'nobody ticks another''s box');
SELECT lives_ok($$UPDATE crm.task_assignee SET done = true WHERE task_id = 900001 AND assignee = 'pgcrm_t_anna'$$, 'an assignee ticks their own');
SELECT is((SELECT status FROM crm.task WHERE id = 900001), 'open', 'one of two done: the task is not');
RESET ROLE;
SET ROLE pgcrm_t_ivan;
UPDATE crm.task_assignee SET done = true WHERE task_id = 900001 AND assignee = 'pgcrm_t_ivan';
RESET ROLE;
SELECT is((SELECT status FROM crm.task WHERE id = 900001), 'done', 'the last tick makes the task done');
SELECT is((SELECT crm.overdue(t) FROM crm.task t WHERE id = 900001), false, 'a done task is not overdue');
SELECT throws_ok($$INSERT INTO crm.task_assignee (task_id, assignee) VALUES (900001, 'someone')$$, '55000', NULL,
    'a done task takes no new assignees');

-- Interactions, history, comments ------------------------------------------------------------
INSERT INTO crm.account (id, name) VALUES (900002, 'Other client');
SELECT throws_ok($$INSERT INTO crm.interaction (account_id, contact_id, channel, direction, occurred_at, subject)
                   VALUES (900002, 900001, 'call', 'in', now(), 'x')$$, '23503', NULL, 'a contact''s interaction belongs to its account');
INSERT INTO crm.interaction (account_id, contact_id, channel, direction, occurred_at, subject) VALUES
    (900001, NULL, 'email', 'out', '2031-01-01 10:00', 'Offer sent'),
    (900001, 900001, 'call', 'in', '2031-01-03 09:00', 'Price question'),
    (900001, 900001, 'meeting', 'out', '2031-01-02 15:00', 'Site visit');
SELECT results_eq($$SELECT subject, via FROM crm.account_history WHERE account_id = 900001$$,
    $$VALUES ('Price question', 'contact'), ('Site visit', 'contact'), ('Offer sent', 'account')$$,
    'an account''s history joins its own and its contacts'' interactions, newest first');
INSERT INTO crm.project (id, account_id, name) VALUES (900001, 900001, 'MES link');
UPDATE crm.task SET project_id = 900001 WHERE id = 900002;
INSERT INTO crm.comment (project_id, body) VALUES (900001, 'Kick-off');
INSERT INTO crm.comment (task_id, body) VALUES (900002, 'Draft ready');
SELECT set_eq($$SELECT body FROM crm.project_comments WHERE project_id = 900001$$, ARRAY['Kick-off', 'Draft ready'],
    'a project shows its tasks'' comments too');
SELECT throws_ok($$INSERT INTO crm.comment (project_id, task_id, body) VALUES (900001, 900002, 'x')$$, '23514', NULL,
    'a comment belongs to exactly one task, project or article');

-- Remaining constraints, one each ----------------------------------------------------------
INSERT INTO crm.team (id, name) VALUES (900001, 'Team T');
INSERT INTO crm.team_member (team_id, member, is_lead) VALUES (900001, 'lead_a', true);
SELECT throws_ok($$INSERT INTO crm.team_member (team_id, member, is_lead) VALUES (900001, 'lead_b', true)$$, '23505', NULL,
    'a team has at most one lead');
SELECT throws_ok($$INSERT INTO crm.project (account_id, name, starts_on, ends_on) VALUES (900001, 'P', '2031-02-01', '2031-01-01')$$,
    '23514', NULL, 'a project cannot end before it starts');
SELECT throws_ok($$INSERT INTO crm.project (account_id, name, status) VALUES (900001, 'P', 'paused')$$, '23514', NULL, 'an unknown project status');
SELECT throws_ok($$INSERT INTO crm.document (title, file_name, content) VALUES ('T', '../etc/passwd', '\x00')$$, '23514', NULL,
    'a file name with a path');
INSERT INTO crm.document (id, title, file_name, content) VALUES (900001, 'T', 'a.txt', 'hello');
SELECT is((SELECT size_bytes FROM crm.document WHERE id = 900001), 5::bigint, 'a document''s size is computed');

SELECT * FROM finish();
ROLLBACK;
