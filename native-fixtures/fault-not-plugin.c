/* fault-not-plugin: a plain shared library with no OpenVPN plugin entry points at all. */
#include "fixture.h"

OPENVPN_EXPORT int fault_not_plugin_add(int a, int b)
{
    return a + b;
}
