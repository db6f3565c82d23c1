# R's side of bench/forecast: every suitable series Debian's R packages ship
# (datasets, forecast, tseries, urca: univariate or split from a multivariate
# series; yearly, quarterly or monthly; no missing values; at most 1,000
# values, which leaves out sunspots, sunspot.month, treering and tseries'
# daily camp), their hold-out splits at the M-competition horizons, and
# forecast::ets, auto.arima, thetaf, HoltWinters and snaive with their times.
# Writes series.csv (name, frequency, horizon, index, value) and r.csv (name,
# method, model, seconds, forecasts separated by ';').
suppressMessages({ library(forecast); library(tseries); library(urca) })
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]; runs <- as.integer(args[2])
series <- list()
for (pkg in c("datasets", "forecast", "tseries", "urca")) {
  for (item in data(package = pkg)$results[, "Item"]) {
    name <- sub(" .*", "", item)
    env <- new.env()
    x <- tryCatch({ data(list = name, package = pkg, envir = env); get(name, envir = env) }, error = function(e) NULL)
    if (!is.ts(x) || anyNA(x) || !(frequency(x) %in% c(1, 4, 12)) || NROW(x) > 1000) next
    columns <- if (NCOL(x) > 1) colnames(x) else name
    for (k in seq_along(columns)) {
      y <- if (NCOL(x) > 1) x[, k] else x
      label <- if (NCOL(x) > 1) paste0(name, ".", columns[k]) else name
      if (length(unique(as.numeric(y))) > 2) series[[label]] <- y  # not a 0/1 dummy
    }
  }
}
horizon_of <- function(f) if (f == 12) 18 else if (f == 4) 8 else 6  # M3's horizons
rows <- list(); results <- list()
median_time <- function(expr_fn) {
  times <- numeric(runs); value <- NULL
  for (r in seq_len(runs)) { t0 <- proc.time()[["elapsed"]]; value <- expr_fn(); times[r] <- proc.time()[["elapsed"]] - t0 }
  list(value = value, seconds = median(times))
}
hw <- function(train, h) {
  seasonal <- frequency(train) > 1
  fit <- tryCatch(HoltWinters(train, gamma = if (seasonal) NULL else FALSE),
                  error = function(e) HoltWinters(train, gamma = FALSE))
  as.numeric(predict(fit, h))
}
row <- function(name, method, model, seconds, mean)
  data.frame(name = name, method = method, model = model, seconds = seconds, forecast = paste(mean, collapse = ";"))
for (name in names(series)) {
  y <- series[[name]]; f <- frequency(y); h <- horizon_of(f)
  if (length(y) < h + 2 * f + 6) next
  rows[[name]] <- data.frame(name = name, frequency = f, horizon = h, index = seq_along(y), value = as.numeric(y))
  train <- ts(head(as.numeric(y), -h), frequency = f, start = start(y))
  e <- median_time(function() { fit <- ets(train); list(model = fit$method, mean = as.numeric(forecast(fit, h = h)$mean)) })
  a <- median_time(function() {
    fit <- auto.arima(train); list(model = forecast:::arima.string(fit), mean = as.numeric(forecast(fit, h = h)$mean)) })
  t <- median_time(function() as.numeric(thetaf(train, h = h)$mean))
  w <- median_time(function() hw(train, h))
  s <- median_time(function() as.numeric(snaive(train, h = h)$mean))
  results[[name]] <- rbind(
    row(name, "ets", e$value$model, e$seconds, e$value$mean),
    row(name, "auto.arima", a$value$model, a$seconds, a$value$mean),
    row(name, "thetaf", "Theta", t$seconds, t$value),
    row(name, "mean of ets, auto.arima, thetaf", "comb", e$seconds + a$seconds + t$seconds,
        (e$value$mean + a$value$mean + t$value) / 3),
    row(name, "HoltWinters", "HoltWinters", w$seconds, w$value),
    row(name, "snaive", "snaive", s$seconds, s$value))
}
write.csv(do.call(rbind, rows), file.path(out, "series.csv"), row.names = FALSE)
write.csv(do.call(rbind, results), file.path(out, "r.csv"), row.names = FALSE)
