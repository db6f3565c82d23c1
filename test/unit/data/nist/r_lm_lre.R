# R's lm on the NIST StRD data in this folder: the LRE of each coefficient
# (floored to a tenth, as test/unit/statistics_nist_test.cpp has them), and
# the smallest LRE of the coefficients, standard errors, residual SD and R².
#   Rscript test/unit/data/nist/r_lm_lre.R
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
read_inc <- function(file) {
  lines <- grep("^\\{", readLines(file.path(here, file)), value = TRUE)
  read.csv(text = gsub("[{}]|,$", "", lines), header = FALSE)
}
lre <- function(est, cer) {
  e <- ifelse(cer == 0, abs(est), abs(est - cer) / abs(cer))
  l <- ifelse(e == 0, 15, -log10(e)); l[is.na(l)] <- 0
  pmin(15, pmax(0, l))
}
certified <- list(  # the coefficients and their standard errors, B0 first (none without an intercept)
  norris = list(c(-0.262323073774029, 1.00211681802045), c(0.232818234301152, 0.429796848199937E-03)),
  pontius = list(c(0.673565789473684E-03, 0.732059160401003E-06, -0.316081871345029E-14),
                 c(0.107938612033077E-03, 0.157817399981659E-09, 0.486652849992036E-16)),
  noint1 = list(2.07438016528926, 0.165289256198347E-01),
  noint2 = list(0.727272727272727, 0.420827318078432E-01),
  filip = list(c(-1467.48961422980, -2772.17959193342, -2316.37108160893, -1127.97394098372, -354.478233703349,
                 -75.1242017393757, -10.8753180355343, -1.06221498588947, -0.670191154593408E-01,
                 -0.246781078275479E-02, -0.402962525080404E-04),
               c(298.084530995537, 559.779865474950, 466.477572127796, 227.204274477751, 71.6478660875927,
                 15.2897178747400, 2.23691159816033, 0.221624321934227, 0.142363763154724E-01,
                 0.535617408889821E-03, 0.896632837373868E-05)),
  longley = list(c(-3482258.63459582, 15.0618722713733, -0.358191792925910E-01, -2.02022980381683,
                   -1.03322686717359, -0.511041056535807E-01, 1829.15146461355),
                 c(890420.383607373, 84.9149257747669, 0.334910077722432E-01, 0.488399681651699,
                   0.214274163161675, 0.226073200069370, 455.478499142212)),
  wampler1 = list(rep(1, 6), rep(0, 6)),
  wampler2 = list(c(1, 0.1, 0.01, 0.001, 0.0001, 0.00001), rep(0, 6)),
  wampler3 = list(rep(1, 6), c(2152.32624678170, 2363.55173469681, 779.343524331583, 101.475507550350,
                               5.64566512170752, 0.112324854679312)),
  wampler4 = list(rep(1, 6), c(215232.624678170, 236355.173469681, 77934.3524331583, 10147.5507550350,
                               564.566512170752, 11.2324854679312)),
  wampler5 = list(rep(1, 6), c(21523262.4678170, 23635517.3469681, 7793435.24331583, 1014755.07550350,
                               56456.6512170752, 1123.24854679312)))
degree <- c(norris = 1, pontius = 2, noint1 = 1, noint2 = 1, filip = 10, longley = 0,
            wampler1 = 5, wampler2 = 5, wampler3 = 5, wampler4 = 5, wampler5 = 5)
for (name in names(degree)) {
  d <- read_inc(paste0(name, ".inc")); y <- d[[1]]
  X <- if (degree[[name]] == 0) as.matrix(d[, -1]) else sapply(1:degree[[name]], function(k) d[[2]]^k)
  m <- if (name %in% c("noint1", "noint2")) lm(y ~ 0 + X) else lm(y ~ X)
  s <- suppressWarnings(summary(m))
  se <- rep(NA, length(coef(m))); se[!is.na(coef(m))] <- s$coefficients[, 2]
  b <- lre(coef(m), certified[[name]][[1]])
  cat(sprintf("%-8s coefficients {%s}  min %.1f  standard errors %.1f\n", name,
              paste(sprintf("%.1f", floor(b * 10) / 10), collapse = ", "), min(b),
              min(lre(se, certified[[name]][[2]]))))
}
