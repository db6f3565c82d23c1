-- The crm.forecast aggregate and its companions (docs/forecast.md); the math is
-- core/forecast.

CREATE OR REPLACE FUNCTION crm.forecast_step(bytea, timestamptz, float8, int)
    RETURNS bytea LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_step';
CREATE OR REPLACE FUNCTION crm.forecast_step(bytea, timestamptz, float8, int, int)
    RETURNS bytea LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_step';
CREATE OR REPLACE FUNCTION crm.forecast_step(bytea, timestamptz, float8, int, int, text)
    RETURNS bytea LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_step';
CREATE OR REPLACE FUNCTION crm.forecast_step(bytea, timestamptz, float8, int, int, text, float8[])
    RETURNS bytea LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_step';
CREATE OR REPLACE FUNCTION crm.forecast_step(bytea, timestamptz, float8, int, int, text, float8[], text)
    RETURNS bytea LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_step';
CREATE OR REPLACE FUNCTION crm.forecast_combine(bytea, bytea)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_combine';
-- STABLE: timestamps are read and written in the session time zone.
CREATE OR REPLACE FUNCTION crm.forecast_final(bytea)
    RETURNS crm.forecast_result LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_forecast_final';

-- Aggregates take no defaults: one overload per trailing option.
CREATE OR REPLACE AGGREGATE crm.forecast(ts timestamptz, value float8, horizon int) (
    SFUNC = crm.forecast_step, STYPE = bytea, COMBINEFUNC = crm.forecast_combine,
    FINALFUNC = crm.forecast_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.forecast(ts timestamptz, value float8, horizon int, season_length int) (
    SFUNC = crm.forecast_step, STYPE = bytea, COMBINEFUNC = crm.forecast_combine,
    FINALFUNC = crm.forecast_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.forecast(ts timestamptz, value float8, horizon int, season_length int, method text) (
    SFUNC = crm.forecast_step, STYPE = bytea, COMBINEFUNC = crm.forecast_combine,
    FINALFUNC = crm.forecast_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.forecast(ts timestamptz, value float8, horizon int, season_length int, method text,
                              levels float8[]) (
    SFUNC = crm.forecast_step, STYPE = bytea, COMBINEFUNC = crm.forecast_combine,
    FINALFUNC = crm.forecast_final, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE crm.forecast(ts timestamptz, value float8, horizon int, season_length int, method text,
                              levels float8[], fill text) (
    SFUNC = crm.forecast_step, STYPE = bytea, COMBINEFUNC = crm.forecast_combine,
    FINALFUNC = crm.forecast_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE crm.forecast(timestamptz, float8, int) IS
    'Forecast a regular series horizon periods ahead: the mean of automatic ETS, ARIMA and Theta (SBA or TSB for intermittent demand), 80% and 95% intervals';
COMMENT ON AGGREGATE crm.forecast(timestamptz, float8, int, int, text, float8[], text) IS
    'Forecast with explicit season length (NULL: infer), method, interval levels and gap fill (error, zero, linear)';

CREATE OR REPLACE FUNCTION crm.forecast_points(result crm.forecast_result)
    RETURNS TABLE (step int, ts timestamptz, point float8, lower float8[], upper float8[])
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT h, (result).ts[h], (result).point[h],
           ARRAY(SELECT (result).lower[l][h] FROM generate_subscripts((result).levels, 1) l ORDER BY l),
           ARRAY(SELECT (result).upper[l][h] FROM generate_subscripts((result).levels, 1) l ORDER BY l)
      FROM generate_subscripts((result).point, 1) h
     ORDER BY h
$$;
COMMENT ON FUNCTION crm.forecast_points(crm.forecast_result) IS
    'One row per future period: timestamp, point forecast, and the bounds of every interval level';

CREATE OR REPLACE FUNCTION crm.forecast_points(result crm.forecast_result, level float8)
    RETURNS TABLE (step int, ts timestamptz, point float8, lower float8, upper float8)
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    i int := array_position(result.levels, level);
BEGIN
    IF i IS NULL THEN
        RAISE EXCEPTION 'the forecast has no % %% interval', level
            USING ERRCODE = 'invalid_parameter_value', HINT = format('Its levels are %s.', result.levels);
    END IF;
    RETURN QUERY SELECT h, result.ts[h], result.point[h], result.lower[i][h], result.upper[i][h]
                   FROM generate_subscripts(result.point, 1) h ORDER BY h;
END
$$;
COMMENT ON FUNCTION crm.forecast_points(crm.forecast_result, float8) IS
    'One row per future period with the bounds of one interval level';
CREATE OR REPLACE FUNCTION crm.decompose_arrays(timestamptz[], float8[], int, text, text)
    RETURNS crm.decomposition LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_decompose_arrays';
COMMENT ON FUNCTION crm.decompose_arrays(timestamptz[], float8[], int, text, text) IS
    'Internal: crm.decompose before unnesting';
CREATE OR REPLACE FUNCTION crm.decompose(ts timestamptz[], value float8[], season_length int DEFAULT NULL,
                              type text DEFAULT 'additive', fill text DEFAULT 'error')
    RETURNS TABLE (ts timestamptz, observed float8, trend float8, seasonal float8, remainder float8)
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT u.* FROM crm.decompose_arrays($1, $2, $3, $4, $5) d,
                    unnest(d.ts, d.observed, d.trend, d.seasonal, d.remainder) u
$$;
COMMENT ON FUNCTION crm.decompose(timestamptz[], float8[], int, text, text) IS
    'Decomposition into trend, seasonal and remainder per period: classical (type additive or multiplicative, as R''s decompose) or STL (type stl, as R''s stl and mstl)';
CREATE OR REPLACE FUNCTION crm.forecast_accuracy(actual float8[], forecast float8[], history float8[] DEFAULT NULL,
                                      season_length int DEFAULT 1, lower float8[] DEFAULT NULL,
                                      upper float8[] DEFAULT NULL, level float8 DEFAULT 95)
    RETURNS crm.forecast_accuracy_result LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgcrm_forecast_accuracy';
COMMENT ON FUNCTION crm.forecast_accuracy(float8[], float8[], float8[], int, float8[], float8[], float8) IS
    'MAE, RMSE, MAPE, sMAPE, bias and (given the history) MASE of forecasts against actuals; given the bounds of a level-% interval, its coverage, Winkler score and MSIS';
CREATE OR REPLACE FUNCTION crm.backtest_arrays(timestamptz[], float8[], int, int, int, text, text, float8)
    RETURNS crm.backtest_columns LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_backtest_arrays';
COMMENT ON FUNCTION crm.backtest_arrays(timestamptz[], float8[], int, int, int, text, text, float8) IS
    'Internal: crm.backtest before unnesting';
CREATE OR REPLACE FUNCTION crm.backtest(ts timestamptz[], value float8[], horizon int, origins int DEFAULT 3,
                             season_length int DEFAULT NULL, method text DEFAULT 'auto', fill text DEFAULT 'error',
                             level float8 DEFAULT 95)
    RETURNS TABLE (origin timestamptz, train_n int, model text,
                   mae float8, rmse float8, mape float8, smape float8, mase float8,
                   bias float8, coverage float8, winkler float8, msis float8)
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT u.origin, u.train_n::int, u.model, u.mae, u.rmse, u.mape, u.smape, u.mase,
           u.bias, u.coverage, u.winkler, u.msis
      FROM crm.backtest_arrays($1, $2, $3, $4, $5, $6, $7, $8) b,
           unnest(b.origin, b.train_n, b.model, b.mae, b.rmse, b.mape, b.smape, b.mase,
                  b.bias, b.coverage, b.winkler, b.msis)
               AS u(origin, train_n, model, mae, rmse, mape, smape, mase, bias, coverage, winkler, msis)
$$;
COMMENT ON FUNCTION crm.backtest(timestamptz[], float8[], int, int, int, text, text, float8) IS
    'Rolling-origin evaluation: one forecast per origin, the last ending at the series end, with its accuracy and the score of its level-% interval';
