// Entry points earlier releases declared and this one no longer has. Their
// SQL functions exist until ALTER EXTENSION pgcrm UPDATE drops them, and an
// old install script (an upgrade test, a restore of an old dump) still
// creates them, so the symbols stay and explain themselves.
#include "guard.hpp"

#define PGCRM_REMOVED(name, release)                                                                       \
    PGCRM_FUNCTION(name) {                                                                                 \
        (void)fcinfo;                                                                                      \
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),                                            \
                        errmsg("%s was removed in pgcrm %s", #name, release),                              \
                        errhint("Run ALTER EXTENSION pgcrm UPDATE.")));                                    \
        return 0;                                                                                          \
    }

// Aggregate states became bytea (src/pg/state.hpp): no serialization step.
PGCRM_REMOVED(pgcrm_linreg_serialize, "0.3.0")
PGCRM_REMOVED(pgcrm_linreg_deserialize, "0.3.0")
PGCRM_REMOVED(pgcrm_logreg_serialize, "0.3.0")
PGCRM_REMOVED(pgcrm_logreg_deserialize, "0.3.0")
PGCRM_REMOVED(pgcrm_ttest_serialize, "0.3.0")
PGCRM_REMOVED(pgcrm_ttest_deserialize, "0.3.0")
PGCRM_REMOVED(pgcrm_prop_test_serialize, "0.3.0")
PGCRM_REMOVED(pgcrm_prop_test_deserialize, "0.3.0")
PGCRM_REMOVED(pgcrm_kmeans_agg_serialize, "0.3.0")
PGCRM_REMOVED(pgcrm_kmeans_agg_deserialize, "0.3.0")
PGCRM_REMOVED(pgcrm_forecast_serialize, "0.3.0")
PGCRM_REMOVED(pgcrm_forecast_deserialize, "0.3.0")
