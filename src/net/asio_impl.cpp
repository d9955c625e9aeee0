// Asio compiled once for the whole program (BOOST_ASIO_SEPARATE_COMPILATION): keeps every other
// translation unit that includes Asio fast to build.
#include <boost/asio/impl/src.hpp>
