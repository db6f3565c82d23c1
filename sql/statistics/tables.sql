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

CREATE TYPE crm.linreg_robust_result AS (
    type        text,      -- HC0, HC1, HC2 or HC3, as sandwich::vcovHC
    std_errors  float8[],  -- heteroskedasticity-consistent, per coefficient; NULL where aliased
    t_values    float8[],
    p_values    float8[],  -- t with the fit's residual degrees of freedom, as lmtest::coeftest
    covariance  float8[],
    n           bigint,
    skipped     bigint
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

CREATE TYPE crm.ttest_one_result AS (
    t float8, df float8, p_value float8,
    mean float8,                    -- of the values, or of the differences treatment − control
    ci_low float8, ci_high float8,  -- its 95% confidence interval
    mu float8,                      -- the mean under the null hypothesis
    n bigint
);

CREATE TYPE crm.chisq_test_result AS (
    statistic     float8,    -- Pearson's X², with Yates's correction on a 2 × 2 table unless turned off
    df            float8,
    p_value       float8,
    n             bigint,
    row_labels    text[],    -- sorted as ORDER BY sorts them
    column_labels text[],
    observed      bigint[],  -- rows × columns
    expected      float8[],  -- row sum × column sum / n
    warning       text       -- R's warning: expected counts below 5; NULL when there is none
);

CREATE TYPE crm.mann_whitney_result AS (
    w float8,        -- R's W: pairs with the treatment value above the control value, ties counting ½
    p_value float8,  -- two-sided
    z float8,        -- the normal approximation's statistic; NULL for the exact test
    exact boolean,   -- the exact distribution: fewer than 50 values in each group and no ties
    n_treatment bigint, n_control bigint
);

CREATE TYPE crm.classification_result AS (
    n bigint, positives bigint,
    auc float8,       -- area under the ROC curve, ties counting ½ (pROC's)
    brier float8,     -- mean squared error of the probabilities
    log_loss float8,  -- mean negative log-likelihood, probabilities clipped to [ε, 1 − ε]
    threshold float8, -- a score at or above it predicts true
    true_positives bigint, false_positives bigint, true_negatives bigint, false_negatives bigint,
    accuracy float8, precision float8, recall float8, specificity float8
);

CREATE TYPE crm.roc_point AS (threshold float8, false_positive_rate float8, true_positive_rate float8);
