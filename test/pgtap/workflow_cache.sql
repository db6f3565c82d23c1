-- Rules changed and committed by another session reach this session's cached
-- rules at its next statement. The other session is a psql started with \!.
\! psql -X -q -v ON_ERROR_STOP=1 -o /dev/null -c "INSERT INTO crm.workflow (code) VALUES ('cache_test')" -c "INSERT INTO crm.workflow_state (workflow, code, label_en, label_uk, is_initial, is_final, sort_order) VALUES ('cache_test', 'a', 'A', 'А', true, false, 1), ('cache_test', 'b', 'B', 'Б', false, false, 2), ('cache_test', 'c', 'C', 'В', false, true, 3)" -c "INSERT INTO crm.workflow_transition (workflow, from_state, to_state) VALUES ('cache_test', 'a', 'b')"
BEGIN;
SELECT plan(5);
CREATE TABLE public.pgcrm_cache_t (id int PRIMARY KEY, status text);
SELECT crm.attach_workflow('public.pgcrm_cache_t', 'status', 'cache_test', false);
INSERT INTO public.pgcrm_cache_t VALUES (1, NULL), (2, NULL);
SELECT lives_ok($$UPDATE public.pgcrm_cache_t SET status = 'b' WHERE id = 1$$, 'a -> b: the rules are now cached');
SELECT throws_ok($$UPDATE public.pgcrm_cache_t SET status = 'c' WHERE id = 1$$, 'PC001', NULL, 'b -> c is not defined yet');

\! psql -X -q -v ON_ERROR_STOP=1 -o /dev/null -c "INSERT INTO crm.workflow_transition (workflow, from_state, to_state) VALUES ('cache_test', 'b', 'c')"
SELECT lives_ok($$UPDATE public.pgcrm_cache_t SET status = 'c' WHERE id = 1$$, 'b -> c defined by another session applies here');

\! psql -X -q -v ON_ERROR_STOP=1 -o /dev/null -c "DELETE FROM crm.workflow_transition WHERE workflow = 'cache_test' AND from_state = 'a'"
SELECT throws_ok($$UPDATE public.pgcrm_cache_t SET status = 'b' WHERE id = 2$$, 'PC001', NULL,
    'a -> b deleted by another session is refused here');

\! psql -X -q -v ON_ERROR_STOP=1 -o /dev/null -c "UPDATE crm.workflow_state SET is_initial = true WHERE workflow = 'cache_test' AND code = 'b'"
SELECT lives_ok($$INSERT INTO public.pgcrm_cache_t VALUES (3, 'b')$$, 'a state made initial by another session applies here');

SELECT * FROM finish();
ROLLBACK;
\! psql -X -q -v ON_ERROR_STOP=1 -o /dev/null -c "DELETE FROM crm.workflow WHERE code = 'cache_test'"
