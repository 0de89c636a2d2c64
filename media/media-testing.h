/* media-testing.h — introspection for tests only (not for daemon/). */
#pragma once

#include "media.h"

G_BEGIN_DECLS

/* Number of elements in the relay's pipeline (leak checks after removal). */
guint cg_media_element_count(CgMedia *media);

G_END_DECLS
