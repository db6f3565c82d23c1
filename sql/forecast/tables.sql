-- Demand forecasting's result types (docs/forecast.md). Each series is put on
-- a regular grid (calendar months, quarters, years, or a fixed step) in the
-- session time zone.

CREATE TYPE crm.forecast_result AS (
    model         text,              -- fitted: 'ETS(M,A,M)', 'naive', 'seasonal naive', 'linear trend', 'constant'
    method        text,              -- asked for: 'auto', 'naive', 'MAdM', ...
    note          text,              -- why 'auto' fell back or left models out; NULL when nothing to say
    season_length int,
    step          interval,          -- spacing of the series; NULL for a single value
    n             int,               -- periods fitted, filled gaps included
    filled        int,               -- gaps filled by the fill option
    alpha         float8,
    beta          float8,
    gamma         float8,
    phi           float8,
    loglik        float8,            -- ETS only, R's convention (no constant terms)
    aicc          float8,            -- ETS only
    sigma2        float8,            -- one-step error variance (relative for multiplicative errors)
    levels        float8[],          -- interval levels, percent
    ts            timestamptz[],     -- the future periods
    point         float8[],          -- point forecasts
    lower         float8[],          -- levels × horizon
    upper         float8[]           -- levels × horizon
);

CREATE TYPE crm.decomposition AS (
    ts timestamptz[], observed float8[], trend float8[], seasonal float8[], remainder float8[]);

CREATE TYPE crm.forecast_accuracy_result AS (
    n int, mae float8, rmse float8, mape float8, smape float8, mase float8);

CREATE TYPE crm.backtest_columns AS (
    origin timestamptz[], train_n float8[], model text[],
    mae float8[], rmse float8[], mape float8[], smape float8[], mase float8[]);
