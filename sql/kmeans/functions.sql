-- K-means over a query or as an aggregate, assignment, silhouettes and the
-- elbow curve (docs/kmeans.md); the algorithm is core/kmeans.

-- NULL options take the defaults of src/core/kmeans.hpp: n_init 10, max_iter
-- 300, tol 1e-4, seed 42, standardize true.
CREATE OR REPLACE FUNCTION crm.kmeans(source text, k integer, n_init integer DEFAULT NULL, max_iter integer DEFAULT NULL,
                           tol float8 DEFAULT NULL, seed integer DEFAULT NULL, standardize boolean DEFAULT NULL,
                           weight text DEFAULT NULL)
    RETURNS crm.kmeans_model
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'pgcrm_kmeans';
COMMENT ON FUNCTION crm.kmeans(text, integer, integer, integer, float8, integer, boolean, text) IS
    'K-means over the rows of a query (last column float8[]), run with the caller''s privileges';

CREATE OR REPLACE FUNCTION crm.kmeans_assign(features float8[], model crm.kmeans_model)
    RETURNS integer
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgcrm_kmeans_assign';
COMMENT ON FUNCTION crm.kmeans_assign(float8[], crm.kmeans_model) IS
    'The segment (1..k) whose centroid is nearest, in the space the model was fitted in';

CREATE OR REPLACE FUNCTION crm.silhouette(source text, model crm.kmeans_model, sample_size integer DEFAULT NULL)
    RETURNS float8
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'pgcrm_silhouette';
COMMENT ON FUNCTION crm.silhouette(text, crm.kmeans_model, integer) IS
    'Mean silhouette coefficient of the model''s segments over a query''s rows (exact, or on a deterministic sample)';

CREATE OR REPLACE FUNCTION crm.kmeans_refine(source text, model crm.kmeans_model, max_iter integer DEFAULT NULL,
                                             tol float8 DEFAULT NULL)
    RETURNS crm.kmeans_model
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'pgcrm_kmeans_refine';
COMMENT ON FUNCTION crm.kmeans_refine(text, crm.kmeans_model, integer, float8) IS
    'Refits a model on a query''s rows starting from its centroids, in its scaling: segment i stays segment i';

CREATE OR REPLACE FUNCTION crm.kmeans_elbow(source text, k_min integer, k_max integer, n_init integer DEFAULT NULL,
                                 max_iter integer DEFAULT NULL, tol float8 DEFAULT NULL, seed integer DEFAULT NULL,
                                 standardize boolean DEFAULT NULL, sample_size integer DEFAULT 10000)
    RETURNS TABLE (k integer, inertia float8, silhouette float8, simplified_silhouette float8, suggested boolean)
    LANGUAGE c VOLATILE PARALLEL UNSAFE ROWS 10
    AS 'MODULE_PATHNAME', 'pgcrm_kmeans_elbow';
COMMENT ON FUNCTION crm.kmeans_elbow(text, integer, integer, integer, integer, float8, integer, boolean, integer) IS
    'Fits every k in [k_min, k_max]: the minimised WCSS and silhouettes per k, and the knee of the WCSS curve';

-- The aggregate keeps each group's rows; partial states from parallel
-- workers are concatenated, then the final function clusters once.
CREATE OR REPLACE FUNCTION crm.kmeans_agg_step(bytea, float8[], integer)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_kmeans_agg_step';
CREATE OR REPLACE FUNCTION crm.kmeans_agg_step(bytea, float8[], integer, integer, integer, float8, integer, boolean)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_kmeans_agg_step';
CREATE OR REPLACE FUNCTION crm.kmeans_agg_combine(bytea, bytea)
    RETURNS bytea LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_kmeans_agg_combine';
CREATE OR REPLACE FUNCTION crm.kmeans_agg_final(bytea)
    RETURNS crm.kmeans_model LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pgcrm_kmeans_agg_final';

CREATE OR REPLACE AGGREGATE crm.kmeans_agg(features float8[], k integer) (
    SFUNC = crm.kmeans_agg_step, STYPE = bytea,
    COMBINEFUNC = crm.kmeans_agg_combine,
    FINALFUNC = crm.kmeans_agg_final, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE crm.kmeans_agg(features float8[], k integer, n_init integer, max_iter integer, tol float8,
                                seed integer, standardize boolean) (
    SFUNC = crm.kmeans_agg_step, STYPE = bytea,
    COMBINEFUNC = crm.kmeans_agg_combine,
    FINALFUNC = crm.kmeans_agg_final, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.kmeans_agg(float8[], integer) IS
    'K-means per group (n_init 10, max_iter 300, tol 1e-4, seed 42, standardised)';
COMMENT ON AGGREGATE crm.kmeans_agg(float8[], integer, integer, integer, float8, integer, boolean) IS
    'K-means per group with explicit options';
