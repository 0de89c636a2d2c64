/* config-private.h — the one schema table that config.c validates against.
 *
 * Every key consultd knows is one CgConfigKey row in config-schema.c, named
 * by its path: "server.port", groups as "server", and the keys of each entry
 * of a list of groups as "tenants.list[].id". A row says the key's kind,
 * whether it is required, its range or string check, its default and where
 * its value lands (an offset into CgConfig, or into the list's element struct
 * for "[]" rows). config.c walks the parsed libconfig tree against the table;
 * nothing else knows key names, except the cross-key checks at the end of the
 * table file. Pure: no globals besides the const table.
 */
#pragma once

#include "config.h"

#include <libconfig.h>

typedef enum {
    CG_CONFIG_KEY_GROUP,        /* a group of keys: "server" */
    CG_CONFIG_KEY_GROUP_LIST,   /* a non-empty list of groups: "tenants.list" */
    CG_CONFIG_KEY_INT,          /* guint field, range min..max */
    CG_CONFIG_KEY_BOOL,         /* gboolean field */
    CG_CONFIG_KEY_STRING,       /* char * field; "" kept unless empty_is_null */
    CG_CONFIG_KEY_STRING_ARRAY, /* char ** field (NULL-terminated), non-empty */
    CG_CONFIG_KEY_REMOVED,      /* a key of an earlier release: setting it is an error */
} CgConfigKeyKind;

/* Returns NULL if @value is fine, else (transfer full) the rest of a sentence
 * starting after the key path, e.g. "must be a numeric IP address, got 'x'". */
typedef char *(*CgConfigStringCheck)(const char *value);

typedef struct {
    const char *path;
    CgConfigKeyKind kind;
    gboolean required;
    gint64 min, max;           /* INT */
    gboolean zero_is_off;      /* INT: 0 (off) is valid too, besides min..max */
    gint64 default_int;        /* INT, BOOL */
    const char *default_str;   /* STRING; STRING_ARRAY: its one default element */
    gboolean empty_is_null;    /* STRING: "" is stored as NULL */
    gboolean allow_empty;      /* STRING_ARRAY: [] is a valid value */
    CgConfigStringCheck check; /* STRING, each STRING_ARRAY element */
    gsize offset;              /* of the field in CgConfig or the list element */
    const char *removed;       /* REMOVED: why, and what to do instead */
    /* GROUP_LIST only: */
    gsize count_offset; /* guint count in CgConfig */
    gsize elem_size;    /* size of one element struct */
} CgConfigKey;

/* (transfer none) the schema table and its length. */
const CgConfigKey *cg_config_schema(guint *n_keys);

/* Checks that need more than one key (tenant ids unique, RTP port range),
 * run after every key passed. @cfg is the parsed tree, for line numbers. */
gboolean cg_config_check_cross(const CgConfig *config, const config_t *cfg, const char *source_name,
                               GError **error);

/* Sets @error (CG_CONFIG_ERROR_INVALID) to "FILE:LINE: MESSAGE" for @setting;
 * a NULL @setting or one without a line reports line 1. FILE is the file the
 * setting came from (an @include) or else @source_name. Returns FALSE. */
gboolean cg_config_fail_at(GError **error, const config_setting_t *setting, const char *source_name,
                           const char *format, ...) G_GNUC_PRINTF(4, 5);
