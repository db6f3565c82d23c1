-- Demand forecasting's result types (docs/forecast.md). Each series is put on
-- a regular grid (calendar months, quarters, years, or a fixed step) in the
-- session time zone.

CREATE TYPE crm.forecast_result AS (
    model         text,              -- fitted: 'mean of ETS(A,N,A), ARIMA(0,1,1)(0,1,1)[12], Theta', 'ETS(M,A,M)', 'SBA', ...
    method        text,              -- asked for: 'auto', 'comb', 'ets', 'arima', 'theta', 'naive', 'MAdM', ...
    note          text,              -- why 'auto' fell back or left models out; NULL when nothing to say
    season_length int,
    step          interval,          -- spacing of the series; NULL for a single value
    n             int,               -- periods fitted, filled gaps included
    filled        int,               -- gaps filled by the fill option
    alpha         float8,
    beta          float8,
    gamma         float8,
    phi           float8,
    loglik        float8,            -- ETS (R's convention, no constant terms) and ARIMA (R's, with them)
    aicc          float8,            -- ETS and ARIMA
    sigma2        float8,            -- one-step error variance (relative for multiplicative errors)
    levels        float8[],          -- interval levels, percent
    ts            timestamptz[],     -- the future periods
    point         float8[],          -- point forecasts
    lower         float8[],          -- levels × horizon
    upper         float8[],          -- levels × horizon
    members       text[],            -- the models a combination averaged; NULL otherwise
    fitted        float8[],          -- one-step in-sample forecasts (NULL where a method has none)
    residuals     float8[],          -- observed − fitted
    ljung_box     float8,            -- Ljung-Box statistic of the residuals
    ljung_box_p   float8             -- and its p-value (small: the residuals are autocorrelated)
);

CREATE TYPE crm.decomposition AS (
    ts timestamptz[], observed float8[], trend float8[], seasonal float8[], remainder float8[]);

CREATE TYPE crm.forecast_accuracy_result AS (
    n int, mae float8, rmse float8, mape float8, smape float8, mase float8,
    bias float8, coverage float8, winkler float8, msis float8);

CREATE TYPE crm.backtest_columns AS (
    origin timestamptz[], train_n float8[], model text[],
    mae float8[], rmse float8[], mape float8[], smape float8[], mase float8[],
    bias float8[], coverage float8[], winkler float8[], msis float8[]);
