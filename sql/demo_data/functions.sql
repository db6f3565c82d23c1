-- Deterministic demo data for the composite-pipe manufacturer, with enough of
-- the IT-services and credit sides that every table has rows.

-- Moves each row of tbl along its path in pg_temp.demo_walk(id, path).
-- Walked: one workflow step per statement through every trigger, for a table
-- whose steps do more than bookkeeping (a credit application started makes its
-- loan), or when the caller is not a superuser. Otherwise loaded: the rows,
-- which this transaction inserted and nobody else has seen, get their last
-- state in one UPDATE with the triggers off (session_replication_role, as a
-- restore loads rows) and their history in one INSERT, after every path has
-- been checked against the workflow's transitions. Five passes over a large
-- table in one transaction cost more with each pass, since none of the row
-- versions they leave can be cleaned up before the end.
CREATE OR REPLACE FUNCTION crm.demo_walk(tbl regclass, status_column name, walk boolean) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    steps int;
    flow text;
    illegal text;
    replication_role text := current_setting('session_replication_role');
    audited boolean := NOT EXISTS (SELECT FROM crm.audit_setting s WHERE s.table_name = tbl AND NOT s.enabled);
BEGIN
    PERFORM 'PRAGMA:TABLE: pg_temp.demo_walk (id bigint, path text[])';
    IF walk OR NOT current_setting('is_superuser')::boolean THEN
        SELECT max(cardinality(path)) INTO steps FROM pg_temp.demo_walk;
        -- Loaded history is not audited: the audit is switched off around the
        -- steps (crm.set_audit logs the switch); its row trigger would cost
        -- more than the rest of each step.
        IF audited THEN
            PERFORM crm.set_audit(tbl, false);
        END IF;
        FOR k IN 1..coalesce(steps, 0) LOOP
            EXECUTE format('UPDATE %s t SET %I = w.path[$1] FROM pg_temp.demo_walk w '
                           'WHERE t.id = w.id AND cardinality(w.path) >= $1', tbl, status_column) USING k;
        END LOOP;
        IF audited THEN
            PERFORM crm.set_audit(tbl, true);
        END IF;
    ELSE
        SELECT a.workflow INTO flow FROM crm.workflow_attachment a WHERE a.table_name = tbl AND a.status_column = demo_walk.status_column;
        CREATE TEMP TABLE demo_step ON COMMIT DROP AS
        SELECT w.id, s.k, s.to_state, s.k = cardinality(w.path) AS last,
               CASE WHEN s.k = 1 THEN NULL ELSE w.path[s.k - 1] END AS from_state
        FROM pg_temp.demo_walk w, unnest(w.path) WITH ORDINALITY AS s(to_state, k);
        PERFORM 'PRAGMA:TABLE: demo_step (id bigint, k bigint, to_state text, last boolean, from_state text)';
        EXECUTE format('UPDATE pg_temp.demo_step d SET from_state = t.%I FROM %s t WHERE d.k = 1 AND t.id = d.id', status_column, tbl);
        SELECT format('%s → %s', d.from_state, d.to_state) INTO illegal FROM pg_temp.demo_step d
        WHERE NOT EXISTS (SELECT FROM crm.workflow_transition r WHERE r.workflow = flow AND r.from_state = d.from_state
                                                                  AND r.to_state = d.to_state)
        LIMIT 1;
        IF illegal IS NOT NULL THEN
            RAISE EXCEPTION 'demo data would move % by %, which workflow % does not allow', tbl, illegal, flow
                USING ERRCODE = 'internal_error';
        END IF;
        PERFORM set_config('session_replication_role', 'replica', true);
        EXECUTE format('UPDATE %s t SET %I = d.to_state FROM pg_temp.demo_step d WHERE d.last AND t.id = d.id', tbl, status_column);
        PERFORM set_config('session_replication_role', replication_role, true);
        INSERT INTO crm.status_history (table_name, row_key, workflow, from_state, to_state)
        SELECT tbl::text, d.id::text, flow, d.from_state, d.to_state
        FROM pg_temp.demo_step d ORDER BY d.k, d.id;
        DROP TABLE pg_temp.demo_step;
    END IF;
    TRUNCATE pg_temp.demo_walk;
END $$;

CREATE OR REPLACE FUNCTION crm.generate_demo_data(scale integer DEFAULT 1, seed integer DEFAULT 42)
    RETURNS TABLE (table_name text, row_count bigint)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- 36 full months ending with the last complete month: the same data all month long.
    last_month date := (date_trunc('month', current_date) - interval '1 month')::date;
    first_month date := (date_trunc('month', current_date) - interval '36 months')::date;
    n_accounts int;
    n_orders int;
    rel name;
    emitting text := coalesce(current_setting('pgcrm.emit_events', true), 'on');
BEGIN
    PERFORM crm.require_arg(scale, 'scale');
    IF scale < 1 OR scale > 1000 THEN
        RAISE EXCEPTION 'scale must be 1 to 1000, not %', scale USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF seed IS NULL THEN
        RAISE EXCEPTION 'seed must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    n_accounts := 1000 * scale;
    n_orders := 20000 * scale;  -- about 2.5 lines each: 50,000 lines per unit of scale
    PERFORM setseed(seed / 2147483648.0);
    -- Demo history is loaded, not happening now: a superuser loads it without
    -- events (docs/events.md), and events are back on before returning.
    IF current_setting('is_superuser')::boolean THEN
        PERFORM set_config('pgcrm.emit_events', 'off', true);
    END IF;
    -- A second call in the same transaction starts from scratch.
    IF to_regclass('pg_temp.demo_walk') IS NOT NULL THEN
        DROP TABLE pg_temp.demo_walk, pg_temp.demo_product, pg_temp.demo_account, pg_temp.demo_order;
    END IF;
    CREATE TEMP TABLE demo_walk (id bigint, path text[]) ON COMMIT DROP;
    PERFORM 'PRAGMA:TABLE: demo_walk (id bigint, path text[])';

    -- Products: GRP pipes by family, diameter and pressure class; services; a credit line.
    WITH spec(family, pipe_type, prefix, pressure, dia, price_per_mm) AS (
        VALUES ('pressure pipe', 'pressure', 'GRP-P', 10, ARRAY[100, 200, 300, 500, 800, 1200], 4.2),
               ('pressure pipe', 'pressure', 'GRP-P', 16, ARRAY[200, 300, 500, 800], 5.1),
               ('sewer pipe', 'sewer', 'GRP-S', 1, ARRAY[300, 500, 800, 1200, 1600], 2.9),
               ('oil and gas pipe', 'oil_gas', 'GRP-O', 40, ARRAY[100, 150, 200, 300], 7.8),
               ('chemical pipe', 'chemical', 'GRP-C', 10, ARRAY[50, 100, 200, 300], 6.4))
    INSERT INTO crm.product (sku, name, kind, family, unit, list_price, attributes, made_to_order)
    SELECT format('%s%s-DN%s', s.prefix, s.pressure, d),
           format('GRP %s DN%s PN%s, 12 m', s.pipe_type, d, s.pressure), 'goods', s.family, 'm',
           round(d * s.price_per_mm * (1 + s.pressure / 40.0), 2),
           jsonb_build_object('pipe_type', s.pipe_type, 'diameter_mm', d, 'length_m', 12,
                              'working_pressure_bar', s.pressure, 'material', 'glass-reinforced plastic',
                              'certification', jsonb_build_array('DSTU EN 1796', 'ISO 9001')), true
    FROM spec s, unnest(s.dia) d
    ON CONFLICT (sku) DO NOTHING;
    -- Numbered by SKU: chemical 1-4, oil and gas 5-8, PN10 9-14, PN16 15-18, sewer 19-23.
    CREATE TEMP TABLE demo_product ON COMMIT DROP AS
    SELECT row_number() OVER (ORDER BY sku) AS rn, id, family, list_price FROM crm.product WHERE sku ~ '^GRP-[COPS][0-9]+-DN';
    PERFORM 'PRAGMA:TABLE: demo_product (rn bigint, id bigint, family text, list_price numeric)';
    INSERT INTO crm.product (sku, name, kind, family, unit, list_price) VALUES
        ('SRV-INSTALL', 'Installation supervision', 'service', 'services', 'h', 950),
        ('SRV-HYDROTEST', 'Hydraulic pressure test', 'service', 'services', 'service', 18500),
        ('FIN-LEASING', 'Equipment leasing line', 'credit', 'finance', 'month', 0)
    ON CONFLICT (sku) DO NOTHING;
    INSERT INTO crm.warehouse (code, name, region, address) VALUES
        ('KYIV', 'Kyiv central warehouse', 'Kyiv', 'Kyiv, Promyslova 12'),
        ('DNIPRO', 'Dnipro warehouse', 'Dnipropetrovsk', 'Dnipro, Zavodska 3'),
        ('LVIV', 'Lviv warehouse', 'Lviv', 'Lviv, Skladska 7')
    ON CONFLICT (code) DO NOTHING;

    -- Accounts: a few large infrastructure clients, more mid-size builders, many small buyers.
    CREATE TEMP TABLE demo_account ON COMMIT DROP AS
    WITH gen AS (
        SELECT g,
               (ARRAY['water_supply', 'oil_gas', 'chemical', 'construction', 'utilities'])[1 + floor(random() * 5)::int] AS industry,
               (ARRAY['Kyiv', 'Lviv', 'Kharkiv', 'Odesa', 'Dnipropetrovsk', 'Zaporizhzhia', 'Poltava',
                      'Vinnytsia', 'Ivano-Frankivsk', 'Chernihiv', 'Rivne', 'Zakarpattia'])[1 + floor(random() * 12)::int] AS region,
               CASE WHEN g <= n_accounts * 0.05 THEN 'large' WHEN g <= n_accounts * 0.30 THEN 'mid' ELSE 'small' END AS size,
               (ARRAY['exhibition', 'website', 'referral', 'cold_call', 'tender'])[1 + floor(random() * 5)::int] AS source,
               first_month + floor(random() * 300)::int AS registered_on
        FROM generate_series(1, n_accounts) g),
    ins AS (
        INSERT INTO crm.account (kind, name, industry, region, source, is_vip, status, marketing_consent,
                                 registered_on, email, phone)
        SELECT CASE WHEN size = 'small' AND g % 10 = 0 THEN 'individual' ELSE 'legal_entity' END,
               format('%s %s-%s', (ARRAY['Vodokanal', 'Naftobud', 'Khimprom', 'Budinvest', 'Komunservis'])
                        [array_position(ARRAY['water_supply', 'oil_gas', 'chemical', 'construction', 'utilities'], industry)],
                      region, g),
               industry, region, source, size = 'large', 'active', g % 3 <> 0, registered_on,
               format('orders@client-%s-%s.example.ua', seed, g), format('+380 44 %s', lpad(g::text, 7, '0'))
        FROM gen ORDER BY g
        RETURNING id, industry, email)
    SELECT gen.g AS rn, i.id, i.industry, gen.size
    FROM ins i JOIN gen ON format('orders@client-%s-%s.example.ua', seed, gen.g) = i.email;
    PERFORM 'PRAGMA:TABLE: demo_account (rn integer, id bigint, industry text, size text)';
    CREATE INDEX ON demo_account (rn);

    INSERT INTO crm.contact (account_id, first_name, last_name, position, email, phone, is_primary, channels)
    SELECT a.id, (ARRAY['Olena', 'Taras', 'Iryna', 'Andrii', 'Natalia', 'Serhii', 'Oksana', 'Dmytro'])[1 + (a.rn + k) % 8],
           (ARRAY['Shevchenko', 'Kovalenko', 'Bondarenko', 'Tkachenko', 'Kravchenko', 'Melnyk', 'Boiko'])[1 + (a.rn * 3 + k) % 7],
           (ARRAY['procurement manager', 'chief engineer', 'director', 'accountant'])[1 + k % 4],
           format('c%s.%s@client-%s-%s.example.ua', k, a.rn, seed, a.rn), NULL, k = 1,
           CASE WHEN k = 1 THEN jsonb_build_object('website', format('https://client-%s.example.ua', a.rn)) ELSE '{}' END
    FROM demo_account a, generate_series(1, 1 + a.rn % 3) k;

    -- Orders: monthly counts with a 2%-a-month trend and a spring-summer peak (July high, January low).
    CREATE TEMP TABLE demo_order ON COMMIT DROP AS
    WITH months AS (
        SELECT m, (first_month + make_interval(months => m))::date AS month_start,
               (1 + 0.02 * m) * (1 + 0.35 * cos(2 * pi() * (extract(month FROM first_month + make_interval(months => m)) - 7) / 12)) AS weight
        FROM generate_series(0, 35) m),
    counts AS (SELECT *, round(n_orders * weight / sum(weight) OVER ())::int AS n FROM months),
    picks AS (
        SELECT c.m, g, c.month_start, c.month_start + floor(random() * 28)::int AS order_date,
               1 + floor(n_accounts * power(random(), 2.2))::int AS account_rn
        FROM counts c, generate_series(1, c.n) g),
    -- Numbered a year's block at a time (crm.next_document_numbers): one by
    -- one, the counter's row would be updated as often, each update walking
    -- the chain of its earlier versions, which grows with the scale.
    sorted AS (
        SELECT p.*, a.id AS account_id, a.rn, extract(year FROM p.order_date)::int AS year,
               row_number() OVER (PARTITION BY extract(year FROM p.order_date) ORDER BY p.order_date, a.id, p.m, p.g) AS k
        FROM picks p JOIN demo_account a ON a.rn = p.account_rn),
    blocks AS (
        SELECT year, crm.next_document_numbers('sales_order', 'ORD', make_date(year, 1, 1), count(*)::int) AS numbers
        FROM sorted GROUP BY year),
    ins AS (
        INSERT INTO crm.sales_order (number, account_id, order_date, manager, delivery_terms, payment_terms, delivery_date)
        SELECT b.numbers[s.k], s.account_id, s.order_date, (ARRAY['manager_olena', 'manager_taras', 'manager_iryna'])[1 + s.rn % 3],
               (ARRAY['FCA plant', 'DAP site', 'CPT warehouse'])[1 + s.rn % 3],
               (ARRAY['prepayment 100%', '50/50', 'net 30 days'])[1 + (s.rn / 3) % 3],
               s.order_date + 14 + floor(random() * 30)::int
        FROM sorted s JOIN blocks b ON b.year = s.year
        ORDER BY s.order_date, s.account_id, s.m, s.g
        RETURNING id, account_id, order_date)
    SELECT i.*, a.size, a.industry, 1 + floor(random() * 4)::int AS n_lines FROM ins i JOIN demo_account a ON a.id = i.account_id;
    PERFORM 'PRAGMA:TABLE: demo_order (id bigint, account_id bigint, order_date date, size text, industry text, n_lines integer)';

    -- Lines: pipes matched to the client's industry, quantity by client size; bigger volumes get bigger discounts.
    INSERT INTO crm.order_line (order_id, line_no, product_id, quantity, unit_price, discount_pct)
    SELECT o.id, k, p.id, q.qty, p.list_price, least(15, round(q.qty / 200.0, 1))
    FROM demo_order o
    CROSS JOIN LATERAL generate_series(1, o.n_lines) k
    CROSS JOIN LATERAL (SELECT round((CASE o.size WHEN 'large' THEN 400 WHEN 'mid' THEN 120 ELSE 24 END)
                                     * (0.3 + random() * 1.4))::numeric AS qty,
                               random() AS r, k AS line) q
    JOIN demo_product p ON p.rn = 1 + (floor(q.r * 6)::int + CASE o.industry WHEN 'water_supply' THEN 8 WHEN 'utilities' THEN 17
                                                               WHEN 'construction' THEN 14 WHEN 'oil_gas' THEN 4 ELSE 0 END) % 23;

    -- A run rolled back before this one leaves the tables with statistics
    -- that say they are empty: every later step would plan for no rows.
    ANALYZE crm.account, crm.contact, crm.product, crm.sales_order, crm.order_line;

    -- Order statuses: delivered when old, moving through the pipeline when recent; a few cancelled.
    INSERT INTO demo_walk
    SELECT id, CASE WHEN random() < 0.03 THEN ARRAY['cancelled']
                    WHEN order_date < last_month - 60 THEN ARRAY['confirmed', 'in_production', 'ready', 'shipped', 'delivered']
                    ELSE (ARRAY['confirmed', 'in_production', 'ready', 'shipped', 'delivered'])[1:floor(random() * 6)::int] END
    FROM demo_order;
    PERFORM crm.demo_walk('crm.sales_order', 'status', false);

    -- Production orders for the recent lines, in every state.
    WITH ins AS (
        INSERT INTO crm.production_order (order_line_id, product_id, diameter_mm, length_m, quantity)
        SELECT l.id, l.product_id, (p.attributes->>'diameter_mm')::int, 12, l.quantity
        FROM crm.order_line l JOIN crm.product p ON p.id = l.product_id JOIN demo_order o ON o.id = l.order_id
        WHERE o.order_date >= last_month - 90
        RETURNING id)
    INSERT INTO demo_walk
    SELECT id, CASE id % 5 WHEN 0 THEN ARRAY['in_progress', 'quality_control', 'ready_for_shipment']
                           WHEN 1 THEN ARRAY['in_progress', 'quality_control'] WHEN 2 THEN ARRAY['in_progress']
                           WHEN 3 THEN ARRAY[]::text[] ELSE ARRAY['cancelled'] END
    FROM ins;
    PERFORM crm.demo_walk('crm.production_order', 'status', false);

    INSERT INTO crm.complaint (account_id, order_id, product_id, kind, severity, description, opened_at, closed_at)
    SELECT o.account_id, o.id, l.product_id, (ARRAY['quality', 'delivery', 'documentation', 'service'])[1 + floor(random() * 4)::int],
           (ARRAY['low', 'medium', 'high', 'critical'])[1 + floor(random() * 4)::int], 'Reported by the client',
           o.order_date + 30, CASE WHEN o.order_date < last_month - 60 THEN o.order_date + 45 END
    FROM demo_order o JOIN crm.order_line l ON l.order_id = o.id AND l.line_no = 1
    WHERE random() < 0.03;

    -- Deals in every stage.
    WITH ins AS (
        INSERT INTO crm.deal (account_id, title, amount, expected_close, probability)
        SELECT a.id, format('Pipeline supply, phase %s', g), round((50000 + random() * 2000000)::numeric, 2),
               last_month + floor(random() * 180)::int, round((random() * 100)::numeric, 0)
        FROM generate_series(1, 300 * scale) g JOIN demo_account a ON a.rn = 1 + (g * 7) % n_accounts
        RETURNING id)
    INSERT INTO demo_walk
    SELECT id, CASE id % 6 WHEN 0 THEN ARRAY[]::text[] WHEN 1 THEN ARRAY['qualified'] WHEN 2 THEN ARRAY['qualified', 'proposal']
                           WHEN 3 THEN ARRAY['qualified', 'proposal', 'negotiation']
                           WHEN 4 THEN ARRAY['qualified', 'proposal', 'negotiation', 'won'] ELSE ARRAY['qualified', 'lost'] END
    FROM ins;
    PERFORM crm.demo_walk('crm.deal', 'stage', false);

    WITH ins AS (
        INSERT INTO crm.lead (source, company_name, contact_first_name, contact_last_name, email, industry, region,
                              technical_requirements, expected_volume, deadline)
        SELECT (ARRAY['website', 'exhibition', 'tender'])[1 + g % 3], format('Prospect %s-%s', seed, g), 'Vasyl', 'Hnatiuk',
               format('lead%s@prospect-%s-%s.example.ua', g, seed, g),
               (ARRAY['water_supply', 'oil_gas', 'chemical', 'construction', 'utilities'])[1 + g % 5], 'Kyiv',
               format('GRP pipe DN%s PN10, delivery to site', (ARRAY[300, 500, 800])[1 + g % 3]), 100 * (1 + g % 20),
               last_month + 30 + g % 90
        FROM generate_series(1, 100 * scale) g
        RETURNING id)
    INSERT INTO demo_walk
    SELECT id, CASE id % 4 WHEN 0 THEN ARRAY[]::text[] WHEN 1 THEN ARRAY['contacted'] WHEN 2 THEN ARRAY['contacted', 'qualified']
                           ELSE ARRAY['contacted', 'disqualified'] END
    FROM ins;
    PERFORM crm.demo_walk('crm.lead', 'status', false);
    PERFORM crm.convert_lead(l.id) FROM crm.lead l WHERE l.status = 'qualified' AND l.id % 2 = 0;

    INSERT INTO crm.interaction (account_id, contact_id, channel, direction, occurred_at, subject, notes)
    SELECT c.account_id, CASE WHEN k % 3 <> 0 THEN c.id END,
           (ARRAY['call', 'email', 'meeting', 'chat', 'other'])[1 + floor(random() * 5)::int],
           CASE WHEN random() < 0.5 THEN 'in' ELSE 'out' END,
           first_month + floor(random() * 1080) * interval '1 day' + floor(random() * 36000) * interval '1 second',
           (ARRAY['Price request', 'Delivery schedule', 'Technical consultation', 'Invoice question'])[1 + k % 4], NULL
    FROM crm.contact c JOIN demo_account a ON a.id = c.account_id, generate_series(1, 2) k;

    -- Warehouse stock for every pipe, holds for the orders being produced, and shipments.
    PERFORM crm.receive_stock(p.id, w.id, round((400 + 2000 * random()) * scale)::numeric, 'opening balance')
    FROM demo_product p CROSS JOIN crm.warehouse w WHERE w.code IN ('KYIV', 'DNIPRO', 'LVIV');
    PERFORM crm.reserve_order(o.id, interval '14 days')
    FROM (SELECT o.id FROM demo_order d JOIN crm.sales_order o ON o.id = d.id
          WHERE o.status IN ('confirmed', 'in_production') ORDER BY o.order_date DESC, o.id LIMIT 20 * scale) o;
    PERFORM crm.confirm_shipment(crm.plan_shipment(o.id))
    FROM (SELECT DISTINCT l.order_id AS id FROM crm.reservation r JOIN crm.order_line l ON l.id = r.order_line_id
          WHERE r.status = 'active' ORDER BY 1 LIMIT 5 * scale) o;

    -- The credit side.
    INSERT INTO crm.credit_product (name, annual_rate_pct, collateral, description) VALUES
        ('Equipment leasing', 14.5, 'secured', 'Leasing of production equipment'),
        ('Working capital line', 19.9, 'unsecured', 'Revolving working-capital credit'),
        ('Project finance', 11.0, 'secured', 'Financing of infrastructure projects')
    ON CONFLICT (name) DO NOTHING;
    WITH ins AS (
        INSERT INTO crm.credit_application (account_id, product_id, amount, term_months)
        SELECT a.id, (SELECT min(id) FROM crm.credit_product) + g % 3, 100000 * (1 + g % 40), (ARRAY[12, 24, 36, 60])[1 + g % 4]
        FROM generate_series(1, 20 * scale) g JOIN demo_account a ON a.rn = 1 + (g * 13) % n_accounts
        RETURNING id)
    INSERT INTO demo_walk
    SELECT id, CASE id % 4 WHEN 0 THEN ARRAY[]::text[] WHEN 2 THEN ARRAY['refused'] ELSE ARRAY['started'] END
    FROM ins;
    PERFORM crm.demo_walk('crm.credit_application', 'status', true);

    -- The IT-services side: teams, projects, tasks, comments, documents, knowledge base.
    INSERT INTO crm.team (name) VALUES (format('Integration team %s', seed)), (format('Support team %s', seed));
    INSERT INTO crm.team_member (team_id, member, is_lead)
    SELECT t.id, m, m = 'dev_andrii' FROM crm.team t, unnest(ARRAY['dev_andrii', 'dev_natalia', 'dev_serhii']) m
    WHERE t.name LIKE format('%% team %s', seed);
    WITH ins AS (
        INSERT INTO crm.project (account_id, team_id, name, budget, status, starts_on)
        SELECT a.id, (SELECT min(id) FROM crm.team WHERE name LIKE format('%% team %s', seed)) + g % 2,
               format('MES integration %s', g), 150000 * g, (ARRAY['planned', 'active', 'completed'])[1 + g % 3], last_month - 30 * g
        FROM generate_series(1, 5) g JOIN demo_account a ON a.rn = g
        RETURNING id)
    INSERT INTO crm.task (project_id, title, due_date, budget)
    SELECT p.id, format('Task %s of project %s', k, p.id), last_month + 10 * k - 30, 5000 * k
    FROM ins p, generate_series(1, 4) k;
    INSERT INTO crm.task_assignee (task_id, assignee)
    SELECT t.id, m FROM crm.task t, unnest(ARRAY['dev_natalia', 'dev_serhii']) m
    WHERE t.project_id IN (SELECT id FROM crm.project WHERE name LIKE 'MES integration %') AND t.id % 2 = 0
    ON CONFLICT DO NOTHING;
    INSERT INTO crm.comment (task_id, body) SELECT id, 'Waiting for the MES test environment' FROM crm.task WHERE id % 3 = 0;
    INSERT INTO crm.comment (project_id, body) SELECT id, 'Kick-off meeting held' FROM crm.project;
    INSERT INTO crm.knowledge_article (topic, title, body) VALUES
        ('installation', 'Laying GRP pipe in frozen ground', 'Use a sand bed of at least 150 mm and ...'),
        ('sales', 'Answering a tender for water supply', 'Attach the DSTU EN 1796 certificate and ...');
    INSERT INTO crm.comment (article_id, body) SELECT id, 'Useful, thanks' FROM crm.knowledge_article;
    INSERT INTO crm.document (title, file_name, mime_type, content, account_id, project_id)
    SELECT format('Technical specification %s', p.id), format('spec-%s.txt', p.id), 'text/plain',
           convert_to(format('Pipe specification for %s', p.name), 'UTF8'), p.account_id, p.id
    FROM crm.project p;

    ANALYZE crm.sales_order, crm.order_line, crm.production_order, crm.shipment, crm.shipment_line, crm.reservation,
            crm.credit_application, crm.status_history;
    PERFORM crm.billing_demo_data(scale, seed);

    IF current_setting('is_superuser')::boolean THEN
        PERFORM set_config('pgcrm.emit_events', emitting, true);
    END IF;
    FOR rel IN SELECT c.relname FROM pg_class c
               WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r' ORDER BY c.relname LOOP
        table_name := format('crm.%I', rel);
        EXECUTE format('SELECT count(*) FROM crm.%I', rel) INTO row_count;
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION crm.generate_demo_data(integer, integer) IS
    'Deterministic demo data: ~1,000 accounts and ~50,000 order lines per unit of scale over the 36 months before this one';
