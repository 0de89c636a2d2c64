/* recurrence.c — weekly occurrences in UTC. */
#include "recurrence.h"

#define WEEK_S ((gint64)7 * 24 * 3600)

gboolean cg_recurrence_expand(gint64 first_start, guint every_weeks, guint count, gint64 *starts)
{
    if (every_weeks < 1 || every_weeks > CG_RECURRENCE_EVERY_WEEKS_MAX || count < 1 ||
        count > CG_RECURRENCE_COUNT_MAX)
        return FALSE;
    for (guint i = 0; i < count; i++)
        starts[i] = first_start + (gint64)i * every_weeks * WEEK_S;
    return TRUE;
}
