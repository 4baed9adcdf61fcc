/*
** scenario.c: the arithmetic of targets and projections: the compound
** rate a target needs, straight-line and log-linear least-squares fits
** with the standard error of their slope, and apportionment of an
** integer total by weights (largest remainder, as seats are shared out
** by the Hare method), so that the parts sum exactly to the total.
*/
#include "csint.h"

#include <math.h>
#include <string.h>

int cs_required_rate(double base, double target, double years, double *rate)
{
    *rate = NAN;
    if (!(base > 0) || !isfinite(base) || !(target >= 0) || !isfinite(target))
        return CS_EINVAL;
    if (!(years > 0) || !isfinite(years)) return CS_EINVAL;
    *rate = pow(target / base, 1.0 / years) - 1.0;
    return CS_OK;
}

/* Least squares of Y on X over the N points where both are finite (and,
** with LOG, Y > 0, fitted as ln Y).  Fills OUT. */
static int fit(const double *x, const double *y, size_t n, int log_y, cs_fit *out)
{
    double mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0, sse = 0;
    size_t i, m = 0;
    memset(out, 0, sizeof *out);
    out->slope = out->intercept = out->se_slope = out->r2 = out->rate = NAN;
    out->se_rate = NAN;
    /* Two passes (means first) for accuracy with years such as 2023.5. */
    for (i = 0; i < n; i++) {
        double yi = y[i];
        if (!isfinite(x[i]) || !isfinite(yi) || (log_y && !(yi > 0))) continue;
        if (log_y) yi = log(yi);
        mx += x[i];
        my += yi;
        m++;
    }
    out->n = m;
    if (m < 2) return CS_EINVAL;
    mx /= (double)m;
    my /= (double)m;
    for (i = 0; i < n; i++) {
        double yi = y[i], dx, dy;
        if (!isfinite(x[i]) || !isfinite(yi) || (log_y && !(yi > 0))) continue;
        if (log_y) yi = log(yi);
        dx = x[i] - mx;
        dy = yi - my;
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if (!(sxx > 0)) return CS_EINVAL; /* every x the same */
    out->slope = sxy / sxx;
    out->intercept = my - out->slope * mx;
    sse = syy - out->slope * sxy;
    if (sse < 0) sse = 0;
    out->r2 = syy > 0 ? 1.0 - sse / syy : 1.0;
    out->se_slope = m > 2 ? sqrt(sse / (double)(m - 2) / sxx) : NAN;
    if (log_y) {
        out->rate = exp(out->slope) - 1.0;
        /* Delta method: d(e^b - 1)/db = e^b. */
        out->se_rate = exp(out->slope) * out->se_slope;
    } else {
        out->rate = NAN;
        out->se_rate = NAN;
    }
    return CS_OK;
}

int cs_fit_linear(const double *x, const double *y, size_t n, cs_fit *out)
{
    return fit(x, y, n, 0, out);
}

int cs_fit_loglinear(const double *x, const double *y, size_t n, cs_fit *out)
{
    return fit(x, y, n, 1, out);
}

int cs_apportion(int64_t total, const double *weights, size_t n, int64_t *out)
{
    double sum = 0;
    size_t i;
    int64_t given = 0, left;
    if (n == 0) return total == 0 ? CS_OK : CS_EINVAL;
    for (i = 0; i < n; i++) {
        if (!(weights[i] >= 0) || !isfinite(weights[i])) return CS_EINVAL;
        sum += weights[i];
    }
    if (!(sum > 0) || total < 0 || (double)total > 9.0e15) return CS_EINVAL;
    /* Quotas: the integer parts first, then one more to each of the
    ** largest remainders (ties to the earlier part) until the total is
    ** reached.  At most N are left over, so the loop is O(N^2) at worst:
    ** N is a number of areas, not of rows. */
    for (i = 0; i < n; i++) {
        double q = (double)total * (weights[i] / sum);
        out[i] = (int64_t)floor(q);
        given += out[i];
    }
    left = total - given;
    if (left < 0 || (size_t)left > n) return CS_EINVAL; /* cannot happen */
    while (left > 0) {
        size_t best = n;
        double bestr = -1;
        for (i = 0; i < n; i++) {
            double r = (double)total * (weights[i] / sum) - (double)out[i];
            if (r > bestr && weights[i] > 0) {
                bestr = r;
                best = i;
            }
        }
        if (best == n) return CS_EINVAL;
        out[best]++;
        left--;
    }
    return CS_OK;
}
