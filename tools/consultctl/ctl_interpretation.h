/* ctl_interpretation.h — consultctl's interpretation options (issue 11):
 * the participant spec "Name:role[:language[:relay_from]]" and the consult
 * options --interpretation, --languages, --floor-language, --floor-level as
 * admin API members. Only the shape is checked here; the server validates
 * the values and names the field it refuses. */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/* (transfer full) {"name", "role"[, "language"[, "relay_from"]]} for @spec,
 * or NULL with *why (transfer full) saying what is wrong. The role is the
 * rightmost known role with at most two parts after it, so a name may hold
 * ':'; without a known role the last part is the role (the server judges). */
json_t *ctl_participant_json(const char *spec, char **why);

/* Adds the interpretation members that the options in @v (by name) ask for
 * to @body. @update: "none" clears interpretation / floor language and
 * "default" resets the floor level (null). FALSE with *why on a usage error. */
gboolean ctl_interpretation_members(GHashTable *v, gboolean update, json_t *body, char **why);

G_END_DECLS
