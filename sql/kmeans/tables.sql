-- K-means customer segmentation: the model type (docs/kmeans.md).

CREATE TYPE crm.kmeans_model AS (
    k             integer,   -- number of segments
    n             bigint,    -- points trained on
    centroids     float8[],  -- k × d, in the features' own units
    sizes         bigint[],  -- points per segment
    inertia       float8,    -- within-segment sum of squares, original units (weighted)
    objective     float8,    -- the sum of squares minimised: of z-scores when standardised
    iterations    integer,   -- Lloyd iterations of the best restart
    converged     boolean,
    feature_mean  float8[],  -- standardisation used (NULL when not standardised)
    feature_scale float8[]
);
COMMENT ON TYPE crm.kmeans_model IS
    'A fitted K-means segmentation; segment i (1-based) has centroid centroids[i:i][:]';
