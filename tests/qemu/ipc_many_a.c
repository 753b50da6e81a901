/* One of the clients of ipc_many.h. */
#include "ipc_many.h"

/* Calls the server with tag 'a'. */
int main(void) {
    return many_client('a');
}
