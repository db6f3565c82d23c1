# R's side of bench/forecast: the public series, their hold-out splits, and
# forecast::ets, HoltWinters and seasonal naive forecasts with their times.
# Writes series.csv (name, frequency, horizon, index, value) and r.csv
# (name, method, model, seconds, forecasts separated by ';').
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]; runs <- as.integer(args[2])
series <- list(
  AirPassengers = AirPassengers, USAccDeaths = USAccDeaths, ldeaths = ldeaths, mdeaths = mdeaths,
  fdeaths = fdeaths, nottem = nottem, UKDriverDeaths = UKDriverDeaths, co2 = co2,
  wineind = forecast::wineind, gas = forecast::gas,
  UKgas = UKgas, JohnsonJohnson = JohnsonJohnson, austres = austres, woolyrnq = forecast::woolyrnq,
  Nile = Nile, lynx = lynx, LakeHuron = LakeHuron, nhtemp = nhtemp, airmiles = airmiles,
  sunspot.year = sunspot.year, discoveries = discoveries, WWWusage = WWWusage)
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
for (name in names(series)) {
  y <- series[[name]]; f <- frequency(y); h <- horizon_of(f)
  rows[[name]] <- data.frame(name = name, frequency = f, horizon = h, index = seq_along(y), value = as.numeric(y))
  train <- ts(head(as.numeric(y), -h), frequency = f, start = start(y))
  e <- median_time(function() { fit <- ets(train); list(model = fit$method, mean = as.numeric(forecast(fit, h = h)$mean)) })
  w <- median_time(function() hw(train, h))
  s <- median_time(function() as.numeric(snaive(train, h = h)$mean))
  results[[name]] <- rbind(
    data.frame(name = name, method = "ets", model = e$value$model, seconds = e$seconds, forecast = paste(e$value$mean, collapse = ";")),
    data.frame(name = name, method = "HoltWinters", model = "HoltWinters", seconds = w$seconds, forecast = paste(w$value, collapse = ";")),
    data.frame(name = name, method = "snaive", model = "snaive", seconds = s$seconds, forecast = paste(s$value, collapse = ";")))
}
write.csv(do.call(rbind, rows), file.path(out, "series.csv"), row.names = FALSE)
write.csv(do.call(rbind, results), file.path(out, "r.csv"), row.names = FALSE)
