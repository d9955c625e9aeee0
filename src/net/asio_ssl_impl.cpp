// Asio's TLS layer compiled once for the whole program (BOOST_ASIO_SEPARATE_COMPILATION): used by
// the notifier's https callbacks today and by RTMPS/HTTPS listeners later.
#include <boost/asio/ssl/impl/src.hpp>
