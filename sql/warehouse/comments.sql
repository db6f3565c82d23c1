-- A comment on every column of the warehouse's tables (docs/warehouse.md): BI
-- tools and analysts read them as field descriptions. Here rather than in
-- tables.sql so that every update writes them again.

COMMENT ON COLUMN crm_dw.change_queue.job IS 'The job that must look at the change';
COMMENT ON COLUMN crm_dw.change_queue.entity IS 'What changed: order, product, account, or all (a full rebuild is asked for)';
COMMENT ON COLUMN crm_dw.change_queue.key IS 'The changed record''s id (0 for all)';

COMMENT ON COLUMN crm_dw.order_delta.sign IS '-1: the order as the warehouse had it; +1: as it is now';
COMMENT ON COLUMN crm_dw.order_delta.order_id IS 'The order''s id';
COMMENT ON COLUMN crm_dw.order_delta.account_id IS 'The order''s client';
COMMENT ON COLUMN crm_dw.order_delta.order_date IS 'The order''s date';
COMMENT ON COLUMN crm_dw.order_delta.total IS 'The order''s value: the sum of its line totals';

COMMENT ON COLUMN crm_dw.etl_state.job IS 'The incremental job';
COMMENT ON COLUMN crm_dw.etl_state.as_of IS 'The day its windows were counted from (features); NULL for facts';
COMMENT ON COLUMN crm_dw.etl_state.last_full_at IS 'When it last rebuilt in full';
COMMENT ON COLUMN crm_dw.etl_state.last_run_at IS 'When it last ran';

COMMENT ON COLUMN crm_dw.etl_run.id IS 'Key: the run';
COMMENT ON COLUMN crm_dw.etl_run.job IS 'The job run';
COMMENT ON COLUMN crm_dw.etl_run.mode IS 'incremental, full, or run (a job that always computes from scratch)';
COMMENT ON COLUMN crm_dw.etl_run.status IS 'succeeded, failed, or skipped (another session was running the job)';
COMMENT ON COLUMN crm_dw.etl_run.started IS 'When the run started';
COMMENT ON COLUMN crm_dw.etl_run.finished IS 'When it ended';
COMMENT ON COLUMN crm_dw.etl_run.rows_touched IS 'Rows the run wrote or deleted';
COMMENT ON COLUMN crm_dw.etl_run.message IS 'What the run did';
COMMENT ON COLUMN crm_dw.etl_run.error IS 'SQLSTATE and message of a failed run';
COMMENT ON COLUMN crm_dw.etl_run.run_by IS 'The role that ran it';

COMMENT ON COLUMN crm_dw.dim_date.date_key IS 'Key: the day';
COMMENT ON COLUMN crm_dw.dim_date.year IS 'Calendar year';
COMMENT ON COLUMN crm_dw.dim_date.quarter IS 'Calendar quarter, 1 to 4';
COMMENT ON COLUMN crm_dw.dim_date.month IS 'Calendar month, 1 to 12';
COMMENT ON COLUMN crm_dw.dim_date.month_start IS 'First day of the month';
COMMENT ON COLUMN crm_dw.dim_date.month_name IS 'Month name in English, January to December';
COMMENT ON COLUMN crm_dw.dim_date.iso_year IS 'ISO 8601 week-numbering year';
COMMENT ON COLUMN crm_dw.dim_date.iso_week IS 'ISO 8601 week number, 1 to 53';
COMMENT ON COLUMN crm_dw.dim_date.day_of_week IS 'ISO day of the week: Monday 1 to Sunday 7';
COMMENT ON COLUMN crm_dw.dim_date.is_weekend IS 'Saturday or Sunday';

COMMENT ON COLUMN crm_dw.dim_product.product_id IS 'Key: the product''s id in crm.product';
COMMENT ON COLUMN crm_dw.dim_product.sku IS 'Stock-keeping unit code';
COMMENT ON COLUMN crm_dw.dim_product.name IS 'Product name';
COMMENT ON COLUMN crm_dw.dim_product.kind IS 'goods or service';
COMMENT ON COLUMN crm_dw.dim_product.family IS 'Product family';
COMMENT ON COLUMN crm_dw.dim_product.unit IS 'Unit of quantity';
COMMENT ON COLUMN crm_dw.dim_product.pipe_type IS 'Pipe type, from the product''s attributes';
COMMENT ON COLUMN crm_dw.dim_product.diameter_mm IS 'Nominal pipe diameter in millimetres, from the attributes';
COMMENT ON COLUMN crm_dw.dim_product.working_pressure_bar IS 'Working pressure in bar, from the attributes';
COMMENT ON COLUMN crm_dw.dim_product.material IS 'Pipe material, from the attributes';
COMMENT ON COLUMN crm_dw.dim_product.list_price IS 'List price per unit';
COMMENT ON COLUMN crm_dw.dim_product.currency IS 'ISO 4217 currency of the list price';
COMMENT ON COLUMN crm_dw.dim_product.active IS 'Still offered';

COMMENT ON COLUMN crm_dw.dim_account.account_id IS 'Key: the client''s id in crm.account';
COMMENT ON COLUMN crm_dw.dim_account.name IS 'Client name';
COMMENT ON COLUMN crm_dw.dim_account.kind IS 'legal_entity or individual';
COMMENT ON COLUMN crm_dw.dim_account.industry IS 'Client industry';
COMMENT ON COLUMN crm_dw.dim_account.region IS 'Client region (oblast)';
COMMENT ON COLUMN crm_dw.dim_account.source IS 'How the client came';
COMMENT ON COLUMN crm_dw.dim_account.is_vip IS 'VIP client';
COMMENT ON COLUMN crm_dw.dim_account.status IS 'prospect, active, inactive or archived';
COMMENT ON COLUMN crm_dw.dim_account.registered_on IS 'Day the client was registered';
COMMENT ON COLUMN crm_dw.dim_account.manager IS 'Login of the client''s manager';
COMMENT ON COLUMN crm_dw.dim_account.owner IS 'Login of the record''s owner';

COMMENT ON COLUMN crm_dw.fact_sales.order_line_id IS 'Key: the order line''s id';
COMMENT ON COLUMN crm_dw.fact_sales.order_id IS 'The order''s id';
COMMENT ON COLUMN crm_dw.fact_sales.order_number IS 'The order''s number';
COMMENT ON COLUMN crm_dw.fact_sales.line_no IS 'Line number within the order';
COMMENT ON COLUMN crm_dw.fact_sales.order_date IS 'Order date: references dim_date';
COMMENT ON COLUMN crm_dw.fact_sales.account_id IS 'The client: references dim_account';
COMMENT ON COLUMN crm_dw.fact_sales.product_id IS 'The product: references dim_product';
COMMENT ON COLUMN crm_dw.fact_sales.order_status IS 'The order''s workflow state';
COMMENT ON COLUMN crm_dw.fact_sales.booked IS 'The order is neither draft nor cancelled: the line counts as a sale';
COMMENT ON COLUMN crm_dw.fact_sales.quantity IS 'Quantity ordered, in the product''s unit';
COMMENT ON COLUMN crm_dw.fact_sales.unit_price IS 'Price per unit before discount';
COMMENT ON COLUMN crm_dw.fact_sales.discount_pct IS 'Discount in percent';
COMMENT ON COLUMN crm_dw.fact_sales.line_total IS 'Line value after discount';
COMMENT ON COLUMN crm_dw.fact_sales.currency IS 'ISO 4217 currency of the order';
COMMENT ON COLUMN crm_dw.fact_sales.manager IS 'Login of the order''s manager';
COMMENT ON COLUMN crm_dw.fact_sales.line_total_base IS 'line_total in the base currency (pgcrm.base_currency) at the rate of the order''s day; NULL when a rate is missing';

COMMENT ON COLUMN crm_dw.fact_sales_monthly.month IS 'First day of the month: references dim_date';
COMMENT ON COLUMN crm_dw.fact_sales_monthly.product_id IS 'The product (references dim_product); NULL in the per-account rows';
COMMENT ON COLUMN crm_dw.fact_sales_monthly.account_id IS 'The client (references dim_account); NULL in the per-product rows';
COMMENT ON COLUMN crm_dw.fact_sales_monthly.currency IS 'ISO 4217 currency of the orders';
COMMENT ON COLUMN crm_dw.fact_sales_monthly.orders IS 'Booked orders';
COMMENT ON COLUMN crm_dw.fact_sales_monthly.lines IS 'Booked order lines';
COMMENT ON COLUMN crm_dw.fact_sales_monthly.quantity IS 'Quantity';
COMMENT ON COLUMN crm_dw.fact_sales_monthly.revenue IS 'Value after discounts';

COMMENT ON COLUMN crm_dw.churn_model.id IS 'Key: the model';
COMMENT ON COLUMN crm_dw.churn_model.as_of IS 'The day the model is for: one model per day';
COMMENT ON COLUMN crm_dw.churn_model.trained_at IS 'When it was trained';
COMMENT ON COLUMN crm_dw.churn_model.cutoff IS 'as_of − 180 days: the day the inputs describe';
COMMENT ON COLUMN crm_dw.churn_model.n IS 'Clients trained on';
COMMENT ON COLUMN crm_dw.churn_model.churned IS 'Of them, clients without a booked order after the cutoff';
COMMENT ON COLUMN crm_dw.churn_model.inputs IS 'Names of the inputs, in the order of the coefficients';
COMMENT ON COLUMN crm_dw.churn_model.model IS 'The fitted logistic regression (crm.logreg_result)';
COMMENT ON COLUMN crm_dw.churn_model.scored_model_id IS 'The model before this one that was scored out of sample on this one''s clients';
COMMENT ON COLUMN crm_dw.churn_model.scored_clients IS 'Clients it was scored on';
COMMENT ON COLUMN crm_dw.churn_model.auc IS 'Its area under the ROC curve on them, 0 to 1 (0.5 is chance)';
COMMENT ON COLUMN crm_dw.churn_model.brier IS 'Its Brier score on them, 0 to 1 (lower is better)';

COMMENT ON COLUMN crm_dw.customer_features.account_id IS 'Key: the client';
COMMENT ON COLUMN crm_dw.customer_features.as_of IS 'The day the features are counted back from';
COMMENT ON COLUMN crm_dw.customer_features.first_order IS 'Date of the first booked order up to as_of';
COMMENT ON COLUMN crm_dw.customer_features.last_order IS 'Date of the last booked order up to as_of';
COMMENT ON COLUMN crm_dw.customer_features.recency_days IS 'as_of − last_order';
COMMENT ON COLUMN crm_dw.customer_features.frequency IS 'Booked orders in the 365 days up to as_of';
COMMENT ON COLUMN crm_dw.customer_features.monetary IS 'Value of those orders';
COMMENT ON COLUMN crm_dw.customer_features.orders_total IS 'All booked orders up to as_of';
COMMENT ON COLUMN crm_dw.customer_features.revenue_total IS 'Their value';
COMMENT ON COLUMN crm_dw.customer_features.avg_order_value IS 'revenue_total ÷ orders_total';
COMMENT ON COLUMN crm_dw.customer_features.orders_per_year IS 'orders_total per year since the first order (a client of under a year counts as one year)';
COMMENT ON COLUMN crm_dw.customer_features.orders_180d IS 'Booked orders in the last 180 days';
COMMENT ON COLUMN crm_dw.customer_features.orders_prior_180d IS 'Booked orders in the 180 days before those';
COMMENT ON COLUMN crm_dw.customer_features.complaints_90d IS 'Complaints opened in the last 90 days';
COMMENT ON COLUMN crm_dw.customer_features.repeat_customer IS 'Two or more booked orders';
COMMENT ON COLUMN crm_dw.customer_features.r_score IS 'Recency score, 1 to 5: quintile among clients with orders, 5 the most recent';
COMMENT ON COLUMN crm_dw.customer_features.f_score IS 'Frequency score, 1 to 5';
COMMENT ON COLUMN crm_dw.customer_features.m_score IS 'Monetary score, 1 to 5';
COMMENT ON COLUMN crm_dw.customer_features.churn_risk IS 'Probability of no order in the next 180 days, from churn_model';
COMMENT ON COLUMN crm_dw.customer_features.churn_model_id IS 'The churn model that gave the risk: references churn_model';
COMMENT ON COLUMN crm_dw.customer_features.invoices_due_365d IS 'Invoices that fell due in the 365 days up to as_of; NULL without any';
COMMENT ON COLUMN crm_dw.customer_features.avg_days_late IS 'Average days those invoices were paid after their due date (0 when on time; unpaid ones count until as_of)';
COMMENT ON COLUMN crm_dw.customer_features.paid_on_time_share IS 'Share of those invoices paid in full by their due date, 0 to 1';

COMMENT ON COLUMN crm_dw.segment_model.id IS 'Key: the segmentation run';
COMMENT ON COLUMN crm_dw.segment_model.fitted_at IS 'When it ran';
COMMENT ON COLUMN crm_dw.segment_model.as_of IS 'The day of the features it clustered';
COMMENT ON COLUMN crm_dw.segment_model.k IS 'Number of segments';
COMMENT ON COLUMN crm_dw.segment_model.n IS 'Clients clustered';
COMMENT ON COLUMN crm_dw.segment_model.features IS 'Names of the features, in the order of the centroids'' columns';
COMMENT ON COLUMN crm_dw.segment_model.labels IS 'Segment labels, by segment number';
COMMENT ON COLUMN crm_dw.segment_model.silhouette IS 'Mean silhouette on a sample of up to 2,000 clients';
COMMENT ON COLUMN crm_dw.segment_model.model IS 'The fitted K-means model (crm.kmeans_model), its clusters numbered as the segments';
COMMENT ON COLUMN crm_dw.segment_model.elbow IS
    'The curve k was chosen from: [{k, inertia, silhouette, simplified_silhouette, suggested}] for k = 2..6; NULL for runs before 0.3.0';

COMMENT ON COLUMN crm_dw.customer_segment.account_id IS 'Key: the client';
COMMENT ON COLUMN crm_dw.customer_segment.model_id IS 'The segmentation run: references segment_model';
COMMENT ON COLUMN crm_dw.customer_segment.segment IS 'Segment number, 1 the most valuable; NULL when not clustered';
COMMENT ON COLUMN crm_dw.customer_segment.label IS 'Segment label, or lapsed or prospect when not clustered';

COMMENT ON COLUMN crm_dw.demand_forecast.generated_at IS 'When the forecast run was made';
COMMENT ON COLUMN crm_dw.demand_forecast.product_id IS 'The product';
COMMENT ON COLUMN crm_dw.demand_forecast.period IS 'The month forecast (its first day)';
COMMENT ON COLUMN crm_dw.demand_forecast.step IS 'Months ahead, 1 to 6';
COMMENT ON COLUMN crm_dw.demand_forecast.model IS 'The exponential smoothing model chosen by AICc';
COMMENT ON COLUMN crm_dw.demand_forecast.point IS 'Point forecast of the booked quantity';
COMMENT ON COLUMN crm_dw.demand_forecast.lower_80 IS 'Lower bound of the 80% prediction interval';
COMMENT ON COLUMN crm_dw.demand_forecast.upper_80 IS 'Upper bound of the 80% prediction interval';
COMMENT ON COLUMN crm_dw.demand_forecast.lower_95 IS 'Lower bound of the 95% prediction interval';
COMMENT ON COLUMN crm_dw.demand_forecast.upper_95 IS 'Upper bound of the 95% prediction interval';
COMMENT ON COLUMN crm_dw.demand_forecast.actual IS 'Booked quantity of the month, filled once the month is over';

COMMENT ON COLUMN crm_dw.kpi_standard.kpi IS 'Key: the KPI code';
COMMENT ON COLUMN crm_dw.kpi_standard.description IS 'What the KPI measures';
COMMENT ON COLUMN crm_dw.kpi_standard.unit IS 'Unit of the value and the standard';
COMMENT ON COLUMN crm_dw.kpi_standard.standard IS 'The value the KPI is held to';
COMMENT ON COLUMN crm_dw.kpi_standard.better IS 'lower or higher: which side of the standard is good';

COMMENT ON COLUMN crm_dw.kpi_snapshot.taken_at IS 'When the value was measured';
COMMENT ON COLUMN crm_dw.kpi_snapshot.kpi IS 'The KPI: references kpi_standard';
COMMENT ON COLUMN crm_dw.kpi_snapshot.value IS 'The measured value; NULL when there was nothing to measure';
COMMENT ON COLUMN crm_dw.kpi_snapshot.basis IS 'How many requests, clients, leads or orders it was measured on';

COMMENT ON COLUMN crm_dw.dq_issue.kind IS 'duplicate_email, duplicate_phone, incomplete_profile or orphaned_record';
COMMENT ON COLUMN crm_dw.dq_issue.table_name IS 'The table of the record';
COMMENT ON COLUMN crm_dw.dq_issue.record_id IS 'The record''s id';
COMMENT ON COLUMN crm_dw.dq_issue.detail IS 'What is wrong';
COMMENT ON COLUMN crm_dw.dq_issue.first_seen IS 'When the finding was first seen';
COMMENT ON COLUMN crm_dw.dq_issue.last_seen IS 'When the last run still found it';

COMMENT ON COLUMN crm_dw.job.name IS 'Key: the job''s name';
COMMENT ON COLUMN crm_dw.job.run_order IS 'Position in a run of all jobs';
COMMENT ON COLUMN crm_dw.job.function IS 'The function it runs: (rebuild boolean) → (mode, rows_touched, message)';
COMMENT ON COLUMN crm_dw.job.incremental IS 'The job refreshes only what changed, unless asked to rebuild';
COMMENT ON COLUMN crm_dw.job.schedule IS 'Default cron schedule, in local time';
COMMENT ON COLUMN crm_dw.job.description IS 'What the job does';
COMMENT ON COLUMN crm_dw.job.statement_timeout IS 'Default time limit of a run';
COMMENT ON COLUMN crm_dw.job.lock_timeout IS 'Default limit of a run''s wait for a lock';
