-- The segments job: nightly K-means over the clients who ordered in the last
-- 365 days, on the features below (written once: the fit, the assignment and
-- the model's description all read them here).
CREATE OR REPLACE VIEW crm_dw.segment_input AS
SELECT account_id, ARRAY[ln(1 + monetary), ln(1 + frequency), ln(1 + avg_order_value)]::float8[] AS features
FROM crm_dw.customer_features
WHERE frequency > 0;
COMMENT ON VIEW crm_dw.segment_input IS 'What the segmentation clusters: one feature vector per client who ordered in the last 365 days';

CREATE OR REPLACE FUNCTION crm_dw.segment_feature_names() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY['ln(1 + monetary)', 'ln(1 + frequency)', 'ln(1 + avg_order_value)'];
COMMENT ON FUNCTION crm_dw.segment_feature_names() IS 'The names of crm_dw.segment_input''s features, in order';

-- k is the knee of the WCSS curve over 2..6 (the best silhouette if there is
-- none), and the curve is kept with the model; segments are numbered by the
-- value of their centroid, so segment 1 is always the most valuable.
CREATE OR REPLACE FUNCTION crm_dw.refresh_segments(rebuild boolean, OUT mode text, OUT rows_touched bigint, OUT message text)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    source constant text := 'SELECT account_id, features FROM crm_dw.segment_input';
    n bigint;
    best_k integer;
    fitted crm.kmeans_model;
    order_by_value integer[];
    labels text[];
    model_id bigint;
    elbow jsonb;
BEGIN
    mode := 'run';
    SELECT count(*) INTO n FROM crm_dw.segment_input;
    IF n < 20 THEN
        rows_touched := 0;
        message := format('%s clients ordered in the last 365 days: too few to segment; segments unchanged', n);
        RETURN;
    END IF;
    SELECT jsonb_agg(to_jsonb(e) ORDER BY e.k) INTO elbow FROM crm.kmeans_elbow(source, 2, 6, sample_size => 2000) e;
    SELECT e.k INTO best_k FROM jsonb_to_recordset(elbow) e(k integer, silhouette float8, suggested boolean)
    ORDER BY e.suggested DESC, e.silhouette DESC NULLS LAST, e.k LIMIT 1;
    fitted := crm.kmeans(source, best_k);
    -- Renumber the clusters by the monetary value of their centroid (feature
    -- 1): crm.kmeans_assign then answers with the segment number itself.
    SELECT array_agg(c ORDER BY fitted.centroids[c][1] DESC, c) INTO order_by_value
    FROM generate_series(1, best_k) c;
    fitted.centroids := ARRAY(SELECT ARRAY(SELECT unnest(fitted.centroids[order_by_value[s]:order_by_value[s]][:]))
                              FROM generate_series(1, best_k) s ORDER BY s);
    fitted.sizes := ARRAY(SELECT fitted.sizes[order_by_value[s]] FROM generate_series(1, best_k) s ORDER BY s);
    labels := ARRAY(SELECT CASE WHEN s = 1 THEN 'key' WHEN s = best_k THEN 'occasional'
                                WHEN best_k = 3 THEN 'regular' ELSE format('regular %s', s - 1) END
                    FROM generate_series(1, best_k) s ORDER BY s);
    INSERT INTO crm_dw.segment_model (as_of, k, n, features, labels, silhouette, model, elbow)
    VALUES (current_date, best_k, fitted.n, crm_dw.segment_feature_names(), labels, crm.silhouette(source, fitted, 2000),
            fitted, elbow)
    RETURNING id INTO model_id;

    TRUNCATE crm_dw.customer_segment;
    INSERT INTO crm_dw.customer_segment (account_id, model_id, segment, label)
    SELECT s.account_id, model_id, s.segment, CASE WHEN s.segment IS NOT NULL THEN labels[s.segment]
                                                   WHEN s.orders_total > 0 THEN 'lapsed' ELSE 'prospect' END
    FROM (SELECT f.account_id, f.orders_total, crm.kmeans_assign(i.features, fitted) AS segment
          FROM crm_dw.customer_features f LEFT JOIN crm_dw.segment_input i ON i.account_id = f.account_id) s;
    GET DIAGNOSTICS rows_touched = ROW_COUNT;
    message := format('k = %s over %s clients (model %s)', best_k, n, model_id);
END $$;

SELECT crm_dw.register_job('segments', 40, 'crm_dw.refresh_segments(boolean)', false, '30 1 * * *',
                           'K-means segmentation into segment_model and customer_segment');
