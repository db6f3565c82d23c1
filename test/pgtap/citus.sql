-- crm.distribute() on a single node (docs/citus.md): it refuses, and changes
-- nothing. On a Citus cluster, test/citus/ tests it (make test-citus).
BEGIN;
SELECT plan(5);
\ir ../lib/pgtap.sql

SELECT throws_ok('SELECT crm.distribute()', 'PC075',
                 format('crm.distribute: database %s is not a Citus cluster (the citus extension is not installed)', current_database()),
                 'crm.distribute refuses outside a Citus cluster');
SELECT is((pg_temp.error_of('SELECT crm.distribute()'))[4], 'Run it on a Citus coordinator with its workers added: docs/citus.md.',
          'the hint says where to run it');
SELECT is((SELECT count(*) FROM crm.distribution_layout() WHERE layout = 'distributed'), 1::bigint,
          'the layout distributes one warehouse table, the facts');
SELECT ok((SELECT bool_and(a.attname IS NOT NULL) FROM crm.distribution_layout() l
           LEFT JOIN pg_attribute a ON a.attrelid = l.table_name AND a.attname = l.distribution_column
           WHERE l.layout = 'distributed'), 'each distribution column is a column of its table');
SELECT ok((SELECT bool_and(c.contype IS NULL OR l.distribution_column = ANY (SELECT attname FROM pg_attribute
                             WHERE attrelid = l.table_name AND attnum = ANY (c.conkey)))
           FROM crm.distribution_layout() l LEFT JOIN pg_constraint c ON c.conrelid = l.table_name AND c.contype IN ('p', 'u')
           WHERE l.layout = 'distributed'),
          'every primary key and unique constraint of a distributed table holds its distribution column (Citus''s rule)');

SELECT * FROM finish();
ROLLBACK;
