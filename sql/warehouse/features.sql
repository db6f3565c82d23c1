-- The features job: each client's order history, RFM scores and churn risk,
-- from the facts and the order changes the facts job hands on.

-- Order history and complaints of clients as of a day, from the warehouse
-- facts: the measures customer features and the churn model are built on.
-- accounts NULL means every client. PL/pgSQL rather than SQL, here and in
-- churn_examples: Citus plans no query on a distributed table (fact_sales
-- after crm.distribute()) that uses a SQL function's parameters, and
-- PL/pgSQL hands it their values (docs/citus.md).
CREATE OR REPLACE FUNCTION crm_dw.customer_history(as_of date, accounts bigint[])
    RETURNS TABLE (account_id bigint, first_order date, last_order date, orders_total integer, revenue_total numeric,
                   frequency integer, monetary numeric, orders_180d integer, orders_prior_180d integer,
                   complaints_90d integer)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
    WITH orders AS (
        SELECT f.account_id, f.order_id, f.order_date, sum(f.line_total) AS total
        FROM crm_dw.fact_sales f
        WHERE f.booked AND f.order_date <= as_of AND (accounts IS NULL OR f.account_id = ANY (accounts))
        GROUP BY f.account_id, f.order_id, f.order_date),
    per_account AS (
        SELECT o.account_id, min(o.order_date) AS first_order, max(o.order_date) AS last_order,
               count(*) AS orders_total, sum(o.total) AS revenue_total,
               count(*) FILTER (WHERE o.order_date > as_of - 365) AS frequency,
               coalesce(sum(o.total) FILTER (WHERE o.order_date > as_of - 365), 0) AS monetary,
               count(*) FILTER (WHERE o.order_date > as_of - 180) AS orders_180d,
               count(*) FILTER (WHERE o.order_date > as_of - 360 AND o.order_date <= as_of - 180) AS orders_prior_180d
        FROM orders o GROUP BY o.account_id),
    complaints AS (
        SELECT c.account_id, count(*) AS complaints_90d
        FROM crm.complaint c
        WHERE c.opened_at >= as_of - 89 AND c.opened_at < as_of + 1
          AND (accounts IS NULL OR c.account_id = ANY (accounts))
        GROUP BY c.account_id)
    SELECT a.id, p.first_order, p.last_order, coalesce(p.orders_total, 0)::integer, coalesce(p.revenue_total, 0),
           coalesce(p.frequency, 0)::integer, coalesce(p.monetary, 0), coalesce(p.orders_180d, 0)::integer,
           coalesce(p.orders_prior_180d, 0)::integer, coalesce(c.complaints_90d, 0)::integer
    FROM crm.account a
    LEFT JOIN per_account p ON p.account_id = a.id
    LEFT JOIN complaints c ON c.account_id = a.id
    WHERE accounts IS NULL OR a.id = ANY (accounts);
END $$;

-- How clients pay (docs/billing.md): over the invoices due in the 365 days to
-- as_of, the average days late (a settled invoice by the day it was settled,
-- an open one by as_of) and the share settled by the due date. Read from crm,
-- like complaints; an invoice's change queues its client. accounts NULL means
-- every client.
CREATE OR REPLACE FUNCTION crm_dw.payment_behaviour(as_of date, accounts bigint[])
    RETURNS TABLE (account_id bigint, invoices_due_365d integer, avg_days_late numeric, paid_on_time_share numeric)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH due AS (
        SELECT i.account_id, i.due_on, i.balance = 0 AS settled,
               greatest((SELECT max(a.applied_on) FROM crm.payment_allocation a WHERE a.invoice_id = i.id),
                        (SELECT max(n.issued_on) FROM crm.invoice n WHERE n.corrects_id = i.id)) AS settled_on
        FROM crm.invoice i
        WHERE i.kind = 'invoice' AND i.status <> 'cancelled' AND i.due_on > as_of - 365 AND i.due_on <= as_of
          AND (accounts IS NULL OR i.account_id = ANY (accounts)))
    SELECT d.account_id, count(*)::integer,
           round(avg(CASE WHEN d.settled THEN greatest(d.settled_on - d.due_on, 0) ELSE as_of - d.due_on END), 2),
           round(count(*) FILTER (WHERE d.settled AND d.settled_on <= d.due_on)::numeric / count(*), 4)
    FROM due d GROUP BY d.account_id
$$;

-- What the churn model sees of a client: months since the last order, recent
-- frequency, its change (falling frequency is a warning), recent complaints.
CREATE OR REPLACE FUNCTION crm_dw.churn_inputs(recency_days integer, frequency integer, orders_180d integer,
                                    orders_prior_180d integer, complaints_90d integer) RETURNS float8[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY[recency_days / 30.0, ln(1 + frequency), orders_180d - orders_prior_180d, complaints_90d]::float8[];

-- What the churn model learns from as of a day: the inputs of every client
-- who had ordered by the cutoff 180 days earlier, and whether the client then
-- went without a booked order until the day. Those who ordered are an
-- aggregated subquery joined to the history, not a correlated NOT EXISTS,
-- which Citus cannot plan on distributed facts.
CREATE OR REPLACE FUNCTION crm_dw.churn_examples(as_of date) RETURNS TABLE (inputs float8[], lost boolean)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT crm_dw.churn_inputs(churn_examples.as_of - 180 - h.last_order, h.frequency, h.orders_180d,
                               h.orders_prior_180d, h.complaints_90d),
           r.account_id IS NULL
    FROM crm_dw.customer_history(churn_examples.as_of - 180, NULL) h
    LEFT JOIN (SELECT f.account_id FROM crm_dw.fact_sales f
               WHERE f.booked AND f.order_date > churn_examples.as_of - 180 AND f.order_date <= churn_examples.as_of
               GROUP BY f.account_id) r ON r.account_id = h.account_id
    WHERE h.orders_total > 0;
END $$;

-- The churn model of a day that has none, trained on its examples: NULL when
-- the history cannot support a model (too few clients, or all or none of them
-- churned).
CREATE OR REPLACE FUNCTION crm_dw.train_churn_model(as_of date) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    id bigint;
BEGIN
    INSERT INTO crm_dw.churn_model (as_of, cutoff, n, churned, inputs, model)
    SELECT train_churn_model.as_of, train_churn_model.as_of - 180, count(*), count(*) FILTER (WHERE e.lost),
           ARRAY['months_since_last_order', 'ln(1 + orders_365d)', 'orders_180d - orders_prior_180d', 'complaints_90d'],
           crm.logreg(e.lost, e.inputs)
    FROM crm_dw.churn_examples(train_churn_model.as_of) e
    HAVING count(*) FILTER (WHERE e.lost) >= 10 AND count(*) FILTER (WHERE NOT e.lost) >= 10
    RETURNING churn_model.id INTO id;
    RETURN id;
END $$;

-- Out of sample: today's examples are what happened after the cutoff to the
-- clients as they were then, which no model trained by the cutoff has seen.
-- The latest such model scores them (one is trained as of the cutoff when
-- there is none, from the data up to it), and today's row records its AUC
-- and Brier score.
CREATE OR REPLACE FUNCTION crm_dw.score_churn_model(model_id bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    scored crm_dw.churn_model;
    earlier bigint;
    metrics crm.classification_result;
BEGIN
    SELECT * INTO scored FROM crm_dw.churn_model m WHERE m.id = model_id;
    SELECT m.id INTO earlier FROM crm_dw.churn_model m WHERE m.as_of <= scored.cutoff ORDER BY m.as_of DESC LIMIT 1;
    IF earlier IS NULL THEN
        earlier := crm_dw.train_churn_model(scored.cutoff);
        IF earlier IS NULL THEN
            RETURN;
        END IF;
    END IF;
    metrics := (SELECT crm.classification_metrics(crm.logreg_predict(m.model, e.inputs), e.lost)
                FROM crm_dw.churn_examples(scored.as_of) e, crm_dw.churn_model m WHERE m.id = earlier);
    UPDATE crm_dw.churn_model m
    SET scored_model_id = earlier, scored_clients = (metrics).n, auc = (metrics).auc, brier = (metrics).brier
    WHERE m.id = model_id;
END $$;

-- Today's churn model: trained once a day on what clients looked like 180
-- days ago and whether they ordered since, then the model before it scored
-- on the same clients. NULL when the history cannot support a model.
CREATE OR REPLACE FUNCTION crm_dw.churn_model_for(as_of date) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    id bigint;
BEGIN
    SELECT m.id INTO id FROM crm_dw.churn_model m WHERE m.as_of = churn_model_for.as_of;
    IF FOUND THEN
        RETURN id;
    END IF;
    id := crm_dw.train_churn_model(as_of);
    IF id IS NOT NULL THEN
        PERFORM crm_dw.score_churn_model(id);
    END IF;
    RETURN id;
END $$;

CREATE OR REPLACE FUNCTION crm_dw.refresh_features(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    changes record;
    today constant date := current_date;
    model_id bigint;
    model crm.logreg_result;
    recomputed bigint[];
    touched bigint[];
BEGIN
    changes := crm_dw.take_changes('features');
    PERFORM crm_dw.drop_temp_table('etl_order_delta');
    CREATE TEMP TABLE etl_order_delta ON COMMIT DROP AS
    WITH taken AS (DELETE FROM crm_dw.order_delta RETURNING *) SELECT * FROM taken WHERE order_date <= today;
    PERFORM 'PRAGMA:TABLE: etl_order_delta (LIKE crm_dw.order_delta)';
    -- Windows are counted back from today: a new day moves every client's.
    rebuild := rebuild OR changes.rebuild
               OR NOT EXISTS (SELECT FROM crm_dw.etl_state s WHERE s.job = 'features' AND s.as_of = today);
    model_id := crm_dw.churn_model_for(today);
    model := (SELECT m.model FROM crm_dw.churn_model m WHERE m.id = model_id);
    IF rebuild THEN
        mode := 'full';
        TRUNCATE crm_dw.customer_features;
        recomputed := NULL;
    ELSE
        mode := 'incremental';
        -- Recomputed from the facts: queued clients (complaints, client changes),
        -- clients without a row yet, and clients that may have lost their first
        -- or last order. The rest take the orders' changes as sums.
        recomputed := ARRAY(
            SELECT unnest(changes.accounts)
            UNION
            SELECT d.account_id
            FROM (SELECT account_id, order_id, order_date FROM etl_order_delta
                  GROUP BY account_id, order_id, order_date HAVING sum(sign) < 0) d
            LEFT JOIN crm_dw.customer_features c ON c.account_id = d.account_id
            WHERE c.account_id IS NULL OR d.order_date IN (c.first_order, c.last_order)
            UNION
            SELECT d.account_id FROM etl_order_delta d
            WHERE NOT EXISTS (SELECT FROM crm_dw.customer_features c WHERE c.account_id = d.account_id));
        DELETE FROM crm_dw.customer_features WHERE account_id = ANY (recomputed);
        UPDATE crm_dw.customer_features c
        SET orders_total = c.orders_total + d.orders, revenue_total = c.revenue_total + d.revenue,
            frequency = c.frequency + d.frequency, monetary = c.monetary + d.monetary,
            orders_180d = c.orders_180d + d.orders_180d, orders_prior_180d = c.orders_prior_180d + d.orders_prior_180d,
            first_order = least(c.first_order, d.first_added), last_order = greatest(c.last_order, d.last_added)
        FROM (SELECT account_id, sum(sign) AS orders, sum(sign * total) AS revenue,
                     coalesce(sum(sign) FILTER (WHERE order_date > today - 365), 0) AS frequency,
                     coalesce(sum(sign * total) FILTER (WHERE order_date > today - 365), 0) AS monetary,
                     coalesce(sum(sign) FILTER (WHERE order_date > today - 180), 0) AS orders_180d,
                     coalesce(sum(sign) FILTER (WHERE order_date > today - 360 AND order_date <= today - 180), 0)
                         AS orders_prior_180d,
                     min(order_date) FILTER (WHERE sign > 0) AS first_added,
                     max(order_date) FILTER (WHERE sign > 0) AS last_added
              FROM etl_order_delta
              WHERE account_id NOT IN (SELECT unnest(recomputed))
              GROUP BY account_id) d
        WHERE c.account_id = d.account_id;
    END IF;
    INSERT INTO crm_dw.customer_features
        (account_id, as_of, first_order, last_order, frequency, monetary, orders_total, revenue_total,
         orders_180d, orders_prior_180d, complaints_90d, invoices_due_365d, avg_days_late, paid_on_time_share)
    SELECT h.account_id, today, h.first_order, h.last_order, h.frequency, h.monetary, h.orders_total, h.revenue_total,
           h.orders_180d, h.orders_prior_180d, h.complaints_90d, p.invoices_due_365d, p.avg_days_late, p.paid_on_time_share
    FROM crm_dw.customer_history(today, recomputed) h
    LEFT JOIN crm_dw.payment_behaviour(today, recomputed) p ON p.account_id = h.account_id;
    IF rebuild THEN
        ANALYZE crm_dw.customer_features;
    END IF;

    touched := ARRAY(SELECT unnest(recomputed) UNION SELECT account_id FROM etl_order_delta);
    UPDATE crm_dw.customer_features c
    SET churn_risk = CASE WHEN c.orders_total > 0 THEN
                         crm.logreg_predict(model, crm_dw.churn_inputs(c.recency_days, c.frequency, c.orders_180d,
                                                                       c.orders_prior_180d, c.complaints_90d)) END,
        churn_model_id = CASE WHEN c.orders_total > 0 THEN model_id END
    WHERE rebuild OR c.account_id IN (SELECT unnest(touched));
    GET DIAGNOSTICS rows_touched = ROW_COUNT;

    -- RFM scores are quintiles among all clients with orders, so one client's
    -- change can move others' scores; equal values share a score.
    WITH scored AS (
        SELECT account_id,
               CASE WHEN orders_total > 0 THEN ceil(5 * cume_dist() OVER (PARTITION BY orders_total > 0
                                                                          ORDER BY recency_days DESC)) END AS r,
               CASE WHEN orders_total > 0 THEN ceil(5 * cume_dist() OVER (PARTITION BY orders_total > 0
                                                                          ORDER BY frequency)) END AS f,
               CASE WHEN orders_total > 0 THEN ceil(5 * cume_dist() OVER (PARTITION BY orders_total > 0
                                                                          ORDER BY monetary)) END AS m
        FROM crm_dw.customer_features)
    UPDATE crm_dw.customer_features c
    SET r_score = s.r, f_score = s.f, m_score = s.m
    FROM scored s
    WHERE c.account_id = s.account_id AND (c.r_score, c.f_score, c.m_score) IS DISTINCT FROM (s.r, s.f, s.m);

    PERFORM crm_dw.record_state('features', rebuild, today);
    message := format('%s clients as of %s: %s recomputed, %s changed by their orders%s',
                      (SELECT count(*) FROM crm_dw.customer_features), today,
                      CASE WHEN rebuild THEN 'all' ELSE cardinality(recomputed)::text END,
                      CASE WHEN rebuild THEN 0 ELSE cardinality(touched) - cardinality(recomputed) END,
                      CASE WHEN model_id IS NULL THEN '; too little history for a churn model' END);
END $$;

SELECT crm_dw.register_job('features', 30, 'crm_dw.refresh_features(boolean)', true, '7 * * * *', 'customer_features: RFM, churn risk');
