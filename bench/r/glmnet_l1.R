# R's glmnet on the issue-10 task, end to end from the CSV (data.table::fread, its default threads).
#
#   Rscript glmnet_l1.R path DATA.csv OUT.json [--lambdas FILE] [--thresh 1e-7]
#   Rscript glmnet_l1.R cv   DATA.csv OUT.json  --lambdas FILE  [--thresh 1e-7] [--fold-column fold]
#
# path: glmnet(x, y, family = "binomial", alpha = 1, thresh) with glmnet's default sequence of
#       100 lambdas (it may stop early) or the lambdas in FILE (one per line);
# cv:   cv.glmnet(x, y, family = "binomial", alpha = 1, lambda = FILE's lambdas,
#       foldid = the fold column, type.measure = "deviance", thresh).
# OUT.json: the lambdas fitted, df, dev.ratio, npasses, intercept and coefficients (original
# units) per lambda; for cv also cvm, cvsd, lambda.min, lambda.1se; and the seconds spent
# reading and fitting (proc.time elapsed) so that R's start-up can be told apart.
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 3) stop("usage: glmnet_l1.R path|cv DATA.csv OUT.json [options]")
mode <- args[1]; csv <- args[2]; out <- args[3]
opt <- function(name, default = NULL) {
  i <- match(name, args)
  if (is.na(i)) default else args[i + 1]
}
thresh <- as.numeric(opt("--thresh", "1e-7"))
lambda_file <- opt("--lambdas")
fold_col <- opt("--fold-column", "fold")

t_start <- proc.time()[["elapsed"]]
suppressPackageStartupMessages({ library(data.table); library(glmnet) })
t_loaded <- proc.time()[["elapsed"]]
dt <- fread(csv)
y <- dt[["y"]]
foldid <- if (mode == "cv") dt[[fold_col]] else NULL
features <- setdiff(names(dt), c("y", if (mode == "cv") fold_col))
x <- as.matrix(dt[, features, with = FALSE])
rm(dt)
t_read <- proc.time()[["elapsed"]]
lambda <- if (is.null(lambda_file)) NULL else as.numeric(readLines(lambda_file))

if (mode == "path") {
  fit <- if (is.null(lambda)) {
    glmnet(x, y, family = "binomial", alpha = 1, thresh = thresh)
  } else {
    glmnet(x, y, family = "binomial", alpha = 1, lambda = lambda, thresh = thresh)
  }
  cvfit <- NULL
} else if (mode == "cv") {
  cvfit <- cv.glmnet(x, y, family = "binomial", alpha = 1, lambda = lambda, foldid = foldid,
                     type.measure = "deviance", thresh = thresh)
  fit <- cvfit$glmnet.fit
} else stop("mode must be path or cv")
t_fit <- proc.time()[["elapsed"]]

num <- function(v) paste0("[", paste(sprintf("%.17g", v), collapse = ","), "]")
beta <- as.matrix(fit$beta)
parts <- c(
  sprintf('"mode": "%s"', mode), sprintf('"thresh": %.17g', thresh),
  sprintf('"glmnet_version": "%s"', as.character(packageVersion("glmnet"))),
  sprintf('"seconds": {"load_packages": %.3f, "read": %.3f, "fit": %.3f}',
          t_loaded - t_start, t_read - t_loaded, t_fit - t_read),
  sprintf('"n": %d, "p": %d', nrow(x), ncol(x)),
  sprintf('"features": [%s]', paste0('"', rownames(beta), '"', collapse = ",")),
  sprintf('"lambda": %s', num(fit$lambda)), sprintf('"df": %s', num(fit$df)),
  sprintf('"dev_ratio": %s', num(fit$dev.ratio)), sprintf('"nulldev": %.17g', fit$nulldev),
  sprintf('"npasses": %d', fit$npasses), sprintf('"a0": %s', num(fit$a0)),
  sprintf('"beta": [%s]', paste(apply(beta, 2, num), collapse = ",")))
if (!is.null(cvfit)) {
  parts <- c(parts, sprintf('"cvm": %s', num(cvfit$cvm)), sprintf('"cvsd": %s', num(cvfit$cvsd)),
             sprintf('"lambda_min": %.17g', cvfit$lambda.min),
             sprintf('"lambda_1se": %.17g', cvfit$lambda.1se),
             sprintf('"nzero": %s', num(cvfit$nzero)))
}
writeLines(paste0("{", paste(parts, collapse = ",\n"), "}"), out)
