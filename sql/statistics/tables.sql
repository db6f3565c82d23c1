-- The result types of the statistics aggregates (docs/statistics.md).

CREATE TYPE crm.linreg_result AS (
    coefficients  float8[],  -- intercept first when fitted; NULL where aliased
    std_errors    float8[],
    t_values      float8[],
    p_values      float8[],
    r_squared     float8,
    adj_r_squared float8,
    f_statistic   float8,
    f_p_value     float8,
    sigma         float8,    -- residual standard error
    n             bigint,
    rank          integer,
    df_residual   integer,
    intercept     boolean,
    covariance    float8[],  -- of the coefficients, as R's vcov; NULL rows and columns where aliased
    skipped       bigint     -- rows skipped for a NULL y (and with skip_nulls, a NULL in x)
);

CREATE TYPE crm.logreg_result AS (
    coefficients   float8[],
    std_errors     float8[],
    z_values       float8[],
    p_values       float8[],
    log_likelihood float8,
    aic            float8,
    deviance       float8,
    null_deviance  float8,
    n              bigint,
    rank           integer,
    iterations     integer,
    converged      boolean,
    separation     boolean,  -- fitted probabilities numerically 0 or 1: estimates are unreliable
    intercept      boolean,
    covariance     float8[],  -- of the coefficients, as R's vcov
    odds_ratios    float8[],  -- exp(coefficients)
    odds_ratio_low float8[],  -- 95% Wald interval, exp(confint.default(m))
    odds_ratio_high float8[],
    skipped        bigint
);

CREATE TYPE crm.ttest_result AS (
    t float8, df float8, p_value float8, mean_treatment float8, mean_control float8,
    difference float8,  -- treatment − control
    ci_low float8, ci_high float8,  -- 95% confidence interval of the difference
    n_treatment bigint, n_control bigint
);

CREATE TYPE crm.prop_test_result AS (
    p_treatment float8, p_control float8,
    difference float8, ci_low float8, ci_high float8,  -- treatment − control, 95% Wald interval
    z float8, p_value float8,
    lift float8, lift_ci_low float8, lift_ci_high float8,  -- p_treatment / p_control − 1, 95% interval
    n_treatment bigint, n_control bigint
);
