# What CPython prints, for pyrepr's tests. Reads requests from stdin, one
# a line, and answers each on stdout:
#   s HEX           repr() of the bytes HEX decoded as UTF-8 with surrogateescape
#   b HEX           repr() of the bytes HEX
#   c LO HI         "cp category repr" for each code point LO..HI (hex), surrogates left out
#   tcp HOST PORT   connect; then repr() and str() of getpeername(), then of getsockname()
#   unix PATH       the same over a Unix socket ('@' at the start: the abstract namespace)
import socket
import sys
import unicodedata

for line in sys.stdin:
    kind, _, arg = line.rstrip('\n').partition(' ')
    if kind == 's':
        print(repr(bytes.fromhex(arg).decode('utf-8', 'surrogateescape')))
    elif kind == 'b':
        print(repr(bytes.fromhex(arg)))
    elif kind == 'c':
        lo, hi = (int(x, 16) for x in arg.split())
        for cp in range(lo, hi + 1):
            if 0xd800 <= cp <= 0xdfff:
                continue
            c = chr(cp)
            print('%x %s %s' % (cp, unicodedata.category(c), repr(c)))
    elif kind in ('tcp', 'unix'):
        if kind == 'tcp':
            host, port = arg.rsplit(' ', 1)
            family = socket.AF_INET6 if ':' in host else socket.AF_INET
            address = (host, int(port))
        else:
            family = socket.AF_UNIX
            address = '\0' + arg[1:] if arg.startswith('@') else arg
        s = socket.socket(family, socket.SOCK_STREAM)
        s.connect(address)
        for a in (s.getpeername(), s.getsockname()):
            print(repr(a))
            print('{}'.format(a))
        s.close()
    else:
        raise SystemExit('bad request: %r' % line)
    sys.stdout.flush()
