/* Diagnostic shim for bench/drain.sh --nodelay: sets TCP_NODELAY on every TCP socket a
 * process connects, to measure what Nagle's algorithm costs a client that writes a message
 * in several pieces before it reads the answer (lettre writes the DATA body and then the
 * final "\r\n.\r\n" separately). Not for production: the fix belongs in pilah's SMTP client.
 *   cc -shared -fPIC -O2 -o libnodelay.so bench/nodelay.c -ldl
 *   LD_PRELOAD=./libnodelay.so pilah run ...                                      */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real)
        real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    if (addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)) {
        int type = 0;
        socklen_t tl = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
    }
    return real(fd, addr, len);
}
