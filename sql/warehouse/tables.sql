-- The warehouse's tables (docs/warehouse.md): a star schema derived from crm,
-- the analytic outputs computed over it, the queue of changes that reach it,
-- and the jobs' bookkeeping. The jobs that fill it are one file each, beside
-- this one; the BI views are sql/bi.

-- Change capture. Statement triggers append the keys a change touched, one
-- row per job that must look at them. Appending never makes writers wait on
-- each other; a job deletes the rows it consumes, and rows of transactions
-- still open are invisible to it, so they stay for its next run.
CREATE TABLE crm_dw.change_queue (
    job    text NOT NULL,
    entity text NOT NULL,
    key    bigint NOT NULL
);
CREATE INDEX change_queue_job_idx ON crm_dw.change_queue (job);
COMMENT ON TABLE crm_dw.change_queue IS
    'Keys changed since the job last ran; entity ''all'' (after a TRUNCATE or a full rebuild upstream) asks for a full rebuild';

-- The facts job hands its changes on: each changed booked order as it was
-- (-1) and as it is (+1). Customer features add them up instead of re-reading
-- every changed client's history.
CREATE TABLE crm_dw.order_delta (
    sign       smallint NOT NULL CHECK (sign IN (-1, 1)),
    order_id   bigint NOT NULL,
    account_id bigint NOT NULL,
    order_date date NOT NULL,
    total      numeric NOT NULL
);
COMMENT ON TABLE crm_dw.order_delta IS
    'Booked orders changed by the facts job and not yet applied to customer_features: the old (-1) and new (+1) versions';

-- Bookkeeping of the jobs.
CREATE TABLE crm_dw.etl_state (
    job          text PRIMARY KEY,
    as_of        date,
    last_full_at timestamptz,
    last_run_at  timestamptz NOT NULL
);
COMMENT ON TABLE crm_dw.etl_state IS
    'Per incremental job: when it last ran and last rebuilt fully; no row means the next run is a full rebuild';

CREATE TABLE crm_dw.etl_run (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job          text NOT NULL,
    mode         text NOT NULL CHECK (mode IN ('incremental', 'full', 'run')),
    status       text NOT NULL CHECK (status IN ('succeeded', 'failed', 'skipped')),
    started      timestamptz NOT NULL,
    finished     timestamptz NOT NULL,
    rows_touched bigint NOT NULL DEFAULT 0,
    message      text,
    error        text,
    run_by       name NOT NULL DEFAULT current_user
);
CREATE INDEX etl_run_job_idx ON crm_dw.etl_run (job, started DESC);
COMMENT ON TABLE crm_dw.etl_run IS 'One row per job run of crm.etl_refresh: what it did, how long, and how it ended';

-- Dimensions (type 1: the current attributes).
CREATE TABLE crm_dw.dim_date (
    date_key    date PRIMARY KEY,
    year        integer NOT NULL,
    quarter     integer NOT NULL,
    month       integer NOT NULL,
    month_start date NOT NULL,
    month_name  text NOT NULL,
    iso_year    integer NOT NULL,
    iso_week    integer NOT NULL,
    day_of_week integer NOT NULL,
    is_weekend  boolean NOT NULL
);
COMMENT ON TABLE crm_dw.dim_date IS 'The calendar, 2000 (or the first order''s year) to five years past the current or last order''s year';

CREATE TABLE crm_dw.dim_product (
    product_id           bigint PRIMARY KEY,
    sku                  text NOT NULL,
    name                 text NOT NULL,
    kind                 text NOT NULL,
    family               text,
    unit                 text NOT NULL,
    pipe_type            text,
    diameter_mm          integer,
    working_pressure_bar numeric,
    material             text,
    list_price           numeric(14, 2) NOT NULL,
    currency             text NOT NULL,
    active               boolean NOT NULL
);
COMMENT ON TABLE crm_dw.dim_product IS 'Products with their pipe attributes as columns';

CREATE TABLE crm_dw.dim_account (
    account_id    bigint PRIMARY KEY,
    name          text NOT NULL,
    kind          text NOT NULL,
    industry      text,
    region        text,
    source        text,
    is_vip        boolean NOT NULL,
    status        text NOT NULL,
    registered_on date NOT NULL,
    manager       text,
    owner         text NOT NULL
);
COMMENT ON TABLE crm_dw.dim_account IS 'Clients with the attributes reports slice by';

-- Facts. Their foreign keys tell BI tools and analysts how the star joins;
-- the facts job writes a dimension row before the facts that name it and
-- removes it after them. No table pg_dump keeps references a derived one,
-- which a refresh truncates and a restore leaves empty. A tenth of each page
-- stays free: the incremental refresh rewrites a changed row on its own page
-- (HOT), adding no index entries.
CREATE TABLE crm_dw.fact_sales (
    order_line_id bigint PRIMARY KEY,
    order_id      bigint NOT NULL,
    order_number  text NOT NULL,
    line_no       integer NOT NULL,
    order_date    date NOT NULL REFERENCES crm_dw.dim_date,
    account_id    bigint NOT NULL REFERENCES crm_dw.dim_account,
    product_id    bigint NOT NULL REFERENCES crm_dw.dim_product,
    order_status  text,
    booked        boolean NOT NULL,
    quantity      numeric NOT NULL,
    unit_price    numeric(14, 2) NOT NULL,
    discount_pct  numeric(5, 2) NOT NULL,
    line_total    numeric(16, 2) NOT NULL,
    currency      text NOT NULL,
    manager       text,
    -- In pgcrm.base_currency at the rate of the order's day (NULL: no rate): docs/billing.md.
    line_total_base numeric(16, 2)
) WITH (fillfactor = 90);
CREATE INDEX fact_sales_order_idx ON crm_dw.fact_sales (order_id);
CREATE INDEX fact_sales_account_idx ON crm_dw.fact_sales (account_id, order_date);
COMMENT ON TABLE crm_dw.fact_sales IS 'One row per order line; booked = the order is neither draft nor cancelled';

CREATE TABLE crm_dw.fact_sales_monthly (
    month      date NOT NULL REFERENCES crm_dw.dim_date,
    product_id bigint REFERENCES crm_dw.dim_product,
    account_id bigint REFERENCES crm_dw.dim_account,
    currency   text NOT NULL,
    orders     bigint NOT NULL,
    lines      bigint NOT NULL,
    quantity   numeric NOT NULL,
    revenue    numeric NOT NULL,
    CHECK ((product_id IS NULL) <> (account_id IS NULL))
) WITH (fillfactor = 90);
-- One key for both grains: the NULL of the other grain counts as a value.
CREATE UNIQUE INDEX fact_sales_monthly_key ON crm_dw.fact_sales_monthly (product_id, account_id, month, currency)
    NULLS NOT DISTINCT;
COMMENT ON TABLE crm_dw.fact_sales_monthly IS
    'Booked sales per month and currency, per product (account_id NULL) and per account (product_id NULL)';

-- Customer features and the models over them.
CREATE TABLE crm_dw.churn_model (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    as_of        date NOT NULL UNIQUE,
    trained_at   timestamptz NOT NULL DEFAULT now(),
    cutoff       date NOT NULL,
    n            bigint NOT NULL,
    churned      bigint NOT NULL,
    inputs       text[] NOT NULL,
    model        crm.logreg_result NOT NULL,
    -- Out of sample: the latest model trained by the cutoff, scored on this model's clients.
    scored_model_id bigint,
    scored_clients  bigint,
    auc             float8 CHECK (auc BETWEEN 0 AND 1),
    brier           float8 CHECK (brier BETWEEN 0 AND 1)
);
COMMENT ON TABLE crm_dw.churn_model IS
    'Per day: logistic regression of "no order in the next 180 days" on the features clients had 180 days earlier, and the AUC and Brier score of the model before it on the same clients';

CREATE TABLE crm_dw.customer_features (
    account_id        bigint PRIMARY KEY,
    as_of             date NOT NULL,
    first_order       date,
    last_order        date,
    recency_days      integer GENERATED ALWAYS AS (as_of - last_order) STORED,
    frequency         integer NOT NULL,
    monetary          numeric NOT NULL,
    orders_total      integer NOT NULL,
    revenue_total     numeric NOT NULL,
    avg_order_value   numeric(16, 2) GENERATED ALWAYS AS (round(revenue_total / nullif(orders_total, 0), 2)) STORED,
    -- A client of a few weeks is not extrapolated to a year.
    orders_per_year   numeric(10, 2)
        GENERATED ALWAYS AS (round(orders_total / greatest(1, (as_of - first_order + 1) / 365.25), 2)) STORED,
    orders_180d       integer NOT NULL,
    orders_prior_180d integer NOT NULL,
    complaints_90d    integer NOT NULL,
    repeat_customer   boolean GENERATED ALWAYS AS (orders_total >= 2) STORED,
    r_score           smallint CHECK (r_score BETWEEN 1 AND 5),
    f_score           smallint CHECK (f_score BETWEEN 1 AND 5),
    m_score           smallint CHECK (m_score BETWEEN 1 AND 5),
    churn_risk        float8 CHECK (churn_risk BETWEEN 0 AND 1),
    churn_model_id    bigint REFERENCES crm_dw.churn_model,
    -- Payment behaviour over the invoices due in the 365 days to as_of (docs/billing.md); NULL without any.
    invoices_due_365d  integer,
    avg_days_late      numeric(8, 2),
    paid_on_time_share numeric(5, 4)
);
COMMENT ON TABLE crm_dw.customer_features IS
    'Per client as of a day: recency, frequency and monetary value over 365 days, RFM scores, churn risk, payment behaviour';

CREATE TABLE crm_dw.segment_model (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fitted_at   timestamptz NOT NULL DEFAULT now(),
    as_of       date NOT NULL,
    k           integer NOT NULL,
    n           bigint NOT NULL,
    features    text[] NOT NULL,
    labels      text[] NOT NULL,
    silhouette  float8,
    model       crm.kmeans_model NOT NULL,
    elbow       jsonb
);
COMMENT ON TABLE crm_dw.segment_model IS
    'Every segmentation run; the model''s clusters are the segments, numbered by value: (model).centroids[s:s][:] is segment s''s';

CREATE TABLE crm_dw.customer_segment (
    account_id bigint PRIMARY KEY,
    model_id   bigint REFERENCES crm_dw.segment_model,
    segment    integer,
    label      text NOT NULL
);
COMMENT ON TABLE crm_dw.customer_segment IS
    'Each client''s current segment; clients without orders in 365 days are "lapsed" or "prospect" and not clustered';

CREATE TABLE crm_dw.demand_forecast (
    generated_at timestamptz NOT NULL,
    product_id   bigint NOT NULL,
    period       date NOT NULL,
    step         integer NOT NULL,
    model        text NOT NULL,
    point        float8 NOT NULL,
    lower_80     float8,
    upper_80     float8,
    lower_95     float8,
    upper_95     float8,
    actual       numeric,
    PRIMARY KEY (generated_at, product_id, period)
);
CREATE INDEX demand_forecast_period_idx ON crm_dw.demand_forecast (product_id, period);
COMMENT ON TABLE crm_dw.demand_forecast IS
    'Monthly booked quantity forecast per product; actual is filled once the month is over';

-- KPIs.
CREATE TABLE crm_dw.kpi_standard (
    kpi         text PRIMARY KEY,
    description text NOT NULL,
    unit        text NOT NULL,
    standard    numeric NOT NULL,
    better      text NOT NULL CHECK (better IN ('lower', 'higher'))
);
COMMENT ON TABLE crm_dw.kpi_standard IS
    'The value each KPI is held to; the KPI job adds the defaults it lacks, UPDATE standard to your industry''s';
SELECT pg_catalog.pg_extension_config_dump('crm_dw.kpi_standard', '');

CREATE TABLE crm_dw.kpi_snapshot (
    taken_at timestamptz NOT NULL,
    kpi      text NOT NULL,
    value    numeric,
    basis    bigint NOT NULL,
    PRIMARY KEY (kpi, taken_at)
);
COMMENT ON TABLE crm_dw.kpi_snapshot IS 'KPI values over time; basis is how many requests, clients, leads or orders each was measured on';

-- Data quality.
CREATE TABLE crm_dw.dq_issue (
    kind        text NOT NULL CHECK (kind IN ('duplicate_email', 'duplicate_phone', 'incomplete_profile', 'orphaned_record')),
    table_name  text NOT NULL,
    record_id   bigint NOT NULL,
    detail      text NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    duplicate_of bigint,
    PRIMARY KEY (kind, table_name, record_id)
);
COMMENT ON TABLE crm_dw.dq_issue IS 'Open data-quality findings; a finding disappears once fixed, first_seen says how long it has been open';
COMMENT ON COLUMN crm_dw.dq_issue.duplicate_of IS 'For a duplicate: the account it duplicates, which crm.merge_duplicate(record_id) merges it into';

-- History that cannot be rebuilt from crm goes into backups; the rest is
-- rebuilt by the first refresh after a restore (etl_state is empty then).
SELECT pg_catalog.pg_extension_config_dump('crm_dw.etl_run', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.etl_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.churn_model', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.churn_model_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.segment_model', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.segment_model_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.customer_segment', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.demand_forecast', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.kpi_snapshot', '');
SELECT pg_catalog.pg_extension_config_dump('crm_dw.dq_issue', '');
