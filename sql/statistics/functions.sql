-- Regression, churn scoring and A/B tests as aggregates (docs/statistics.md);
-- the math is core/statistics. Each splits under parallel query: linreg merges
-- double-double cross-products, the tests exact moments or counts; logreg
-- gathers its rows, because IRLS needs several passes. Options are
-- positional overloads (aggregates take no named arguments):
-- (y, x [, intercept [, skip_nulls [, tolerance]]]).

CREATE OR REPLACE FUNCTION crm.linreg_step(bytea, float8, float8[])
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_step';
CREATE OR REPLACE FUNCTION crm.linreg_step(bytea, float8, float8[], boolean)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_step';
CREATE OR REPLACE FUNCTION crm.linreg_step(bytea, float8, float8[], boolean, boolean)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_step';
CREATE OR REPLACE FUNCTION crm.linreg_step(bytea, float8, float8[], boolean, boolean, float8)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_step';
CREATE OR REPLACE FUNCTION crm.linreg_combine(bytea, bytea)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_combine';
CREATE OR REPLACE FUNCTION crm.linreg_final(bytea)
    RETURNS crm.linreg_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_final';

CREATE OR REPLACE AGGREGATE crm.linreg(y float8, x float8[]) (
    SFUNC = crm.linreg_step, STYPE = bytea, COMBINEFUNC = crm.linreg_combine,
    FINALFUNC = crm.linreg_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.linreg(y float8, x float8[], intercept boolean) (
    SFUNC = crm.linreg_step, STYPE = bytea, COMBINEFUNC = crm.linreg_combine,
    FINALFUNC = crm.linreg_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.linreg(y float8, x float8[], intercept boolean, skip_nulls boolean) (
    SFUNC = crm.linreg_step, STYPE = bytea, COMBINEFUNC = crm.linreg_combine,
    FINALFUNC = crm.linreg_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.linreg(y float8, x float8[], intercept boolean, skip_nulls boolean, tolerance float8) (
    SFUNC = crm.linreg_step, STYPE = bytea, COMBINEFUNC = crm.linreg_combine,
    FINALFUNC = crm.linreg_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.linreg(float8, float8[]) IS 'Ordinary least squares of y on x with an intercept, as R''s lm';
COMMENT ON AGGREGATE crm.linreg(float8, float8[], boolean) IS 'Ordinary least squares of y on x, with or without an intercept';
COMMENT ON AGGREGATE crm.linreg(float8, float8[], boolean, boolean) IS
    'Ordinary least squares; with skip_nulls, rows with a NULL in x are skipped and counted instead of an error';
COMMENT ON AGGREGATE crm.linreg(float8, float8[], boolean, boolean, float8) IS
    'Ordinary least squares with the rank tolerance for aliased columns (default 1e-10; R''s lm uses 1e-7)';

CREATE OR REPLACE FUNCTION crm.linreg_predict(model crm.linreg_result, x float8[])
    RETURNS float8 LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_predict';
COMMENT ON FUNCTION crm.linreg_predict(crm.linreg_result, float8[]) IS
    'The fitted value for x; aliased (NULL) coefficients count as 0';

CREATE OR REPLACE FUNCTION crm.linreg_robust_step(bytea, crm.linreg_result, float8, float8[])
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_robust_step';
CREATE OR REPLACE FUNCTION crm.linreg_robust_step(bytea, crm.linreg_result, float8, float8[], text)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_robust_step';
CREATE OR REPLACE FUNCTION crm.linreg_robust_step(bytea, crm.linreg_result, float8, float8[], text, boolean)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_robust_step';
CREATE OR REPLACE FUNCTION crm.linreg_robust_combine(bytea, bytea)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_robust_combine';
CREATE OR REPLACE FUNCTION crm.linreg_robust_final(bytea)
    RETURNS crm.linreg_robust_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_linreg_robust_final';
CREATE OR REPLACE AGGREGATE crm.linreg_robust(model crm.linreg_result, y float8, x float8[]) (
    SFUNC = crm.linreg_robust_step, STYPE = bytea, COMBINEFUNC = crm.linreg_robust_combine,
    FINALFUNC = crm.linreg_robust_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.linreg_robust(model crm.linreg_result, y float8, x float8[], type text) (
    SFUNC = crm.linreg_robust_step, STYPE = bytea, COMBINEFUNC = crm.linreg_robust_combine,
    FINALFUNC = crm.linreg_robust_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.linreg_robust(model crm.linreg_result, y float8, x float8[], type text, skip_nulls boolean) (
    SFUNC = crm.linreg_robust_step, STYPE = bytea, COMBINEFUNC = crm.linreg_robust_combine,
    FINALFUNC = crm.linreg_robust_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.linreg_robust(crm.linreg_result, float8, float8[]) IS
    'HC3 robust standard errors of a crm.linreg fit: a second pass over its data';
COMMENT ON AGGREGATE crm.linreg_robust(crm.linreg_result, float8, float8[], text) IS
    'Robust (HC0, HC1, HC2 or HC3) standard errors of a crm.linreg fit, as sandwich::vcovHC';
COMMENT ON AGGREGATE crm.linreg_robust(crm.linreg_result, float8, float8[], text, boolean) IS
    'Robust standard errors of a crm.linreg fit, skipping rows with a NULL in x as the fit did with skip_nulls';

CREATE OR REPLACE FUNCTION crm.one_hot(value text, levels text[], drop_first boolean DEFAULT true)
    RETURNS float8[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT value = ANY (levels) THEN
        RAISE EXCEPTION 'value "%" is not one of the levels %', value, levels
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'List every level, or map rare values to a catch-all level first.';
    END IF;
    RETURN ARRAY(SELECT (l = value)::int::float8 FROM unnest(levels) WITH ORDINALITY u(l, i)
                 WHERE NOT (drop_first AND i = 1) ORDER BY i);
END $$;
COMMENT ON FUNCTION crm.one_hot(text, text[], boolean) IS
    'Indicator columns of a categorical value; with drop_first the first level is the reference (for models with an intercept)';

CREATE OR REPLACE FUNCTION crm.logreg_step(bytea, boolean, float8[])
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_step';
CREATE OR REPLACE FUNCTION crm.logreg_step(bytea, boolean, float8[], boolean)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_step';
CREATE OR REPLACE FUNCTION crm.logreg_step(bytea, boolean, float8[], boolean, boolean)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_step';
CREATE OR REPLACE FUNCTION crm.logreg_step(bytea, boolean, float8[], boolean, boolean, float8)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_step';
CREATE OR REPLACE FUNCTION crm.logreg_combine(bytea, bytea)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_combine';
CREATE OR REPLACE FUNCTION crm.logreg_final(bytea)
    RETURNS crm.logreg_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_final';

CREATE OR REPLACE AGGREGATE crm.logreg(y boolean, x float8[]) (
    SFUNC = crm.logreg_step, STYPE = bytea, COMBINEFUNC = crm.logreg_combine,
    FINALFUNC = crm.logreg_final, FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.logreg(y boolean, x float8[], intercept boolean) (
    SFUNC = crm.logreg_step, STYPE = bytea, COMBINEFUNC = crm.logreg_combine,
    FINALFUNC = crm.logreg_final, FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.logreg(y boolean, x float8[], intercept boolean, skip_nulls boolean) (
    SFUNC = crm.logreg_step, STYPE = bytea, COMBINEFUNC = crm.logreg_combine,
    FINALFUNC = crm.logreg_final, FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.logreg(y boolean, x float8[], intercept boolean, skip_nulls boolean, tolerance float8) (
    SFUNC = crm.logreg_step, STYPE = bytea, COMBINEFUNC = crm.logreg_combine,
    FINALFUNC = crm.logreg_final, FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.logreg(boolean, float8[]) IS 'Logistic regression by IRLS with an intercept, as R''s glm(binomial)';
COMMENT ON AGGREGATE crm.logreg(boolean, float8[], boolean) IS 'Logistic regression by IRLS, with or without an intercept';
COMMENT ON AGGREGATE crm.logreg(boolean, float8[], boolean, boolean) IS
    'Logistic regression; with skip_nulls, rows with a NULL in x are skipped and counted instead of an error';
COMMENT ON AGGREGATE crm.logreg(boolean, float8[], boolean, boolean, float8) IS
    'Logistic regression with the rank tolerance for aliased columns (default 1e-11, as R''s glm)';

CREATE OR REPLACE FUNCTION crm.logreg_predict(model crm.logreg_result, x float8[])
    RETURNS float8 LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_logreg_predict';
COMMENT ON FUNCTION crm.logreg_predict(crm.logreg_result, float8[]) IS 'The modelled probability that y is true for x';

CREATE OR REPLACE FUNCTION crm.ttest_step(bytea, float8, boolean)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_step';
CREATE OR REPLACE FUNCTION crm.ttest_step(bytea, float8, boolean, boolean)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_step';
CREATE OR REPLACE FUNCTION crm.ttest_combine(bytea, bytea)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_combine';
CREATE OR REPLACE FUNCTION crm.ttest_final(bytea)
    RETURNS crm.ttest_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_final';
CREATE OR REPLACE AGGREGATE crm.ttest(value float8, treatment boolean) (
    SFUNC = crm.ttest_step, STYPE = bytea, COMBINEFUNC = crm.ttest_combine,
    FINALFUNC = crm.ttest_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.ttest(value float8, treatment boolean, equal_var boolean) (
    SFUNC = crm.ttest_step, STYPE = bytea, COMBINEFUNC = crm.ttest_combine,
    FINALFUNC = crm.ttest_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.ttest(float8, boolean) IS 'Welch''s two-sample t-test of treatment against control';
COMMENT ON AGGREGATE crm.ttest(float8, boolean, boolean) IS 'Two-sample t-test: Student''s with equal_var, otherwise Welch''s';

CREATE OR REPLACE FUNCTION crm.prop_test_step(bytea, boolean, boolean)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_prop_test_step';
CREATE OR REPLACE FUNCTION crm.prop_test_combine(bytea, bytea)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_prop_test_combine';
CREATE OR REPLACE FUNCTION crm.prop_test_final(bytea)
    RETURNS crm.prop_test_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_prop_test_final';
CREATE OR REPLACE AGGREGATE crm.prop_test(converted boolean, treatment boolean) (
    SFUNC = crm.prop_test_step, STYPE = bytea, COMBINEFUNC = crm.prop_test_combine,
    FINALFUNC = crm.prop_test_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.prop_test(boolean, boolean) IS
    'Two-proportion z-test of conversion, treatment against control, with the lift';

CREATE OR REPLACE FUNCTION crm.ttest_one_step(bytea, float8)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_one_step';
CREATE OR REPLACE FUNCTION crm.ttest_one_step(bytea, float8, float8)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_one_step';
CREATE OR REPLACE FUNCTION crm.ttest_paired_step(bytea, float8, float8)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_paired_step';
CREATE OR REPLACE FUNCTION crm.ttest_one_combine(bytea, bytea)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_one_combine';
CREATE OR REPLACE FUNCTION crm.ttest_one_final(bytea)
    RETURNS crm.ttest_one_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_ttest_one_final';
CREATE OR REPLACE AGGREGATE crm.ttest_one(value float8) (
    SFUNC = crm.ttest_one_step, STYPE = bytea, COMBINEFUNC = crm.ttest_one_combine,
    FINALFUNC = crm.ttest_one_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.ttest_one(value float8, mu float8) (
    SFUNC = crm.ttest_one_step, STYPE = bytea, COMBINEFUNC = crm.ttest_one_combine,
    FINALFUNC = crm.ttest_one_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.ttest_paired(treatment float8, control float8) (
    SFUNC = crm.ttest_paired_step, STYPE = bytea, COMBINEFUNC = crm.ttest_one_combine,
    FINALFUNC = crm.ttest_one_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.ttest_one(float8) IS 'One-sample t-test of mean 0, as R''s t.test(x)';
COMMENT ON AGGREGATE crm.ttest_one(float8, float8) IS 'One-sample t-test of mean mu, as R''s t.test(x, mu = mu)';
COMMENT ON AGGREGATE crm.ttest_paired(float8, float8) IS
    'Paired t-test of treatment − control, as R''s t.test(treatment, control, paired = TRUE)';

CREATE OR REPLACE FUNCTION crm.chisq_test_step(bytea, text, text)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_chisq_test_step';
CREATE OR REPLACE FUNCTION crm.chisq_test_step(bytea, text, text, boolean)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_chisq_test_step';
CREATE OR REPLACE FUNCTION crm.chisq_test_combine(bytea, bytea)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_chisq_test_combine';
CREATE OR REPLACE FUNCTION crm.chisq_test_final(bytea)
    RETURNS crm.chisq_test_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_chisq_test_final';
CREATE OR REPLACE AGGREGATE crm.chisq_test(row_label text, col_label text) (
    SFUNC = crm.chisq_test_step, STYPE = bytea, COMBINEFUNC = crm.chisq_test_combine,
    FINALFUNC = crm.chisq_test_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.chisq_test(row_label text, col_label text, correct boolean) (
    SFUNC = crm.chisq_test_step, STYPE = bytea, COMBINEFUNC = crm.chisq_test_combine,
    FINALFUNC = crm.chisq_test_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.chisq_test(text, text) IS
    'Chi-square test of independence of two labels, as R''s chisq.test(table(row, col))';
COMMENT ON AGGREGATE crm.chisq_test(text, text, boolean) IS
    'Chi-square test of independence; correct = false turns off Yates''s correction of a 2 × 2 table';

CREATE OR REPLACE FUNCTION crm.mann_whitney_step(bytea, float8, boolean)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_mann_whitney_step';
CREATE OR REPLACE FUNCTION crm.mann_whitney_combine(bytea, bytea)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_mann_whitney_combine';
CREATE OR REPLACE FUNCTION crm.mann_whitney_final(bytea)
    RETURNS crm.mann_whitney_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_mann_whitney_final';
CREATE OR REPLACE AGGREGATE crm.mann_whitney(value float8, treatment boolean) (
    SFUNC = crm.mann_whitney_step, STYPE = bytea, COMBINEFUNC = crm.mann_whitney_combine,
    FINALFUNC = crm.mann_whitney_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.mann_whitney(float8, boolean) IS
    'Mann–Whitney U (Wilcoxon rank-sum) test of treatment against control, as R''s wilcox.test(treatment, control)';

CREATE OR REPLACE FUNCTION crm.classification_step(bytea, float8, boolean)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_classification_step';
CREATE OR REPLACE FUNCTION crm.classification_step(bytea, float8, boolean, float8)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_classification_step';
CREATE OR REPLACE FUNCTION crm.classification_combine(bytea, bytea)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_classification_combine';
CREATE OR REPLACE FUNCTION crm.classification_metrics_final(bytea)
    RETURNS crm.classification_result LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_classification_metrics_final';
CREATE OR REPLACE FUNCTION crm.roc_points_final(bytea)
    RETURNS crm.roc_point[] LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_roc_points_final';
CREATE OR REPLACE AGGREGATE crm.classification_metrics(score float8, actual boolean) (
    SFUNC = crm.classification_step, STYPE = bytea, COMBINEFUNC = crm.classification_combine,
    FINALFUNC = crm.classification_metrics_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.classification_metrics(score float8, actual boolean, threshold float8) (
    SFUNC = crm.classification_step, STYPE = bytea, COMBINEFUNC = crm.classification_combine,
    FINALFUNC = crm.classification_metrics_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.roc_points(score float8, actual boolean) (
    SFUNC = crm.classification_step, STYPE = bytea, COMBINEFUNC = crm.classification_combine,
    FINALFUNC = crm.roc_points_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.classification_metrics(float8, boolean) IS
    'How well scores predict an outcome: AUC, Brier score, log-loss, and the confusion matrix at 0.5';
COMMENT ON AGGREGATE crm.classification_metrics(float8, boolean, float8) IS
    'AUC, Brier score, log-loss, and the confusion matrix at the threshold (a score at or above it predicts true)';
COMMENT ON AGGREGATE crm.roc_points(float8, boolean) IS
    'The ROC curve: a point per distinct score, from (+Infinity, 0, 0) to (lowest score, 1, 1), for plotting';
