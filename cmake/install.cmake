# `cmake --install BUILD [--prefix P]` (DESTDIR=... for staging a package): the binary to P/bin, the
# config to /etc/liveorigin (with data_dir /var/lib/liveorigin; an existing one is kept, operators
# edit it) and the systemd unit to P/lib/systemd/system, pointing at those paths.
if(NOT DEFINED CACHE{CMAKE_INSTALL_SYSCONFDIR})
  set(CMAKE_INSTALL_SYSCONFDIR /etc CACHE PATH "Config directory; liveorigin's is liveorigin/ under it")
endif()
include(GNUInstallDirs)
set(LIVEORIGIN_SYSTEMD_UNIT_DIR lib/systemd/system CACHE PATH
    "Where liveorigin.service is installed (relative to the prefix, or absolute)")

install(TARGETS liveorigin RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The installed config is the shipped one with its state where the unit's StateDirectory is.
file(READ ${PROJECT_SOURCE_DIR}/config/liveorigin.yaml shipped_config)
string(REGEX REPLACE "\n  data_dir: [^ \n]+" "\n  data_dir: /var/lib/liveorigin" installed_config
       "${shipped_config}")
if(installed_config STREQUAL shipped_config)
  message(FATAL_ERROR "config/liveorigin.yaml: no `  data_dir:` line to point at /var/lib/liveorigin")
endif()
file(WRITE ${CMAKE_BINARY_DIR}/packaging/liveorigin.yaml "${installed_config}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/config/liveorigin.yaml ${PROJECT_SOURCE_DIR}/packaging/liveorigin.service)

# The config and the unit are placed by a script: it runs at install time, so it knows --prefix.
configure_file(${PROJECT_SOURCE_DIR}/cmake/install_files.cmake.in ${CMAKE_BINARY_DIR}/install_files.cmake @ONLY)
install(SCRIPT ${CMAKE_BINARY_DIR}/install_files.cmake)
