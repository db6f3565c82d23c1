-- The roles and the client-login map (docs/security.md). Roles are
-- cluster-wide: CREATE EXTENSION creates the missing ones in every database
-- it is installed in, and DROP EXTENSION leaves them.

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM (VALUES
        ('crm_admin',   'pgcrm: administers the CRM: every table and function, client logins, audit'),
        ('crm_manager', 'pgcrm: works with the clients and records owned by them or their teams'),
        ('crm_analyst', 'pgcrm: reads the warehouse crm_dw and runs the analytics functions'),
        ('crm_bi',      'pgcrm: reads the BI views crm_dw.v_* and nothing else'),
        ('crm_client',  'pgcrm: a client''s own account, orders and credit applications, read-only')) v(name, note)
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r.name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r.name);
            EXECUTE format('COMMENT ON ROLE %I IS %L', r.name, r.note);
        END IF;
    END LOOP;
END $$;

-- Which account a client login may see.
CREATE TABLE crm.client_login (
    login      name PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES crm.account ON DELETE CASCADE,
    granted_by name NOT NULL DEFAULT session_user,
    granted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX client_login_account_idx ON crm.client_login (account_id);
COMMENT ON TABLE crm.client_login IS 'A login role of a client and the one account it sees (crm.grant_client_access)';
SELECT pg_catalog.pg_extension_config_dump('crm.client_login', '');
