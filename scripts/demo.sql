-- pgcrm demo. Each capability adds its part here.
\pset footer off
\set VERBOSITY default

\echo
\echo '=== Workflows: production orders from the MES ==='
\echo 'Seeded workflows and their states:'
SELECT w.code AS workflow,
       string_agg(s.code || CASE WHEN s.is_initial THEN ' (initial)' WHEN s.is_final THEN ' (final)' ELSE '' END,
                  ' | ' ORDER BY s.sort_order) AS states
FROM crm.workflow w JOIN crm.workflow_state s ON s.workflow = w.code
GROUP BY w.code ORDER BY w.code;

-- A plant's own production table: any table can follow a workflow.
CREATE SCHEMA demo;
CREATE TABLE demo.production_order (
    id          int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product     text NOT NULL,
    diameter_mm int NOT NULL,
    length_m    numeric NOT NULL,
    status      text
);
\o /dev/null
SELECT crm.attach_workflow('demo.production_order', 'status', 'production_order');
\o
INSERT INTO demo.production_order (product, diameter_mm, length_m) VALUES
    ('GRP pressure pipe PN16', 300, 12), ('GRP pressure pipe PN10', 500, 12),
    ('GRP sewer pipe SN10000', 800, 6), ('GRP oil pipe PN25', 200, 12);

\echo 'The MES reports progress; each order moves one step at a time:'
UPDATE demo.production_order SET status = 'in_progress' WHERE id IN (1, 2, 3);
UPDATE demo.production_order SET status = 'quality_control' WHERE id IN (1, 2);
UPDATE demo.production_order SET status = 'ready_for_shipment' WHERE id = 1;
UPDATE demo.production_order SET status = 'cancelled' WHERE id = 4;
SELECT o.id, o.product, o.diameter_mm, o.length_m, o.status, s.label_uk AS "статус"
FROM demo.production_order o JOIN crm.workflow_state s ON s.workflow = 'production_order' AND s.code = o.status
ORDER BY o.id;

\echo 'A report that skips quality control is refused:'
\set ON_ERROR_STOP 0
UPDATE demo.production_order SET status = 'ready_for_shipment' WHERE id = 3;
\set ON_ERROR_STOP 1

\echo 'The history of order 1:'
SELECT from_state, to_state, changed_by, transaction_id
FROM crm.status_history WHERE table_name = 'demo.production_order' AND row_key = '1' ORDER BY id;
