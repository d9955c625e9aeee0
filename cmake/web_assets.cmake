# The browser files built into liveorigin_web (docs/architecture.md, "web/"): our pages from web/
# and the pinned npm libraries from web/node_modules (npm ci in web/, as scripts/setup.sh does).
# Each entry: the URL path it is served at = the file under web/.
set(web_assets
  /static/index.html=page/index.html
  /static/index.js=page/index.js
  /static/player.html=page/player.html
  /static/player.js=page/player.js
  /static/page.css=page/page.css
  /static/mpegts.js=node_modules/mpegts.js/dist/mpegts.js
  /static/hls.light.min.js=node_modules/hls.js/dist/hls.light.min.js
  /console/index.html=console/index.html
  /console/console.js=console/console.js
  /console/console.css=console/console.css
  /console/uPlot.iife.min.js=node_modules/uplot/dist/uPlot.iife.min.js
  /console/uPlot.min.css=node_modules/uplot/dist/uPlot.min.css)

set(web_dir ${PROJECT_SOURCE_DIR}/web)
if(NOT EXISTS ${web_dir}/node_modules/mpegts.js/package.json OR NOT EXISTS ${web_dir}/node_modules/hls.js/package.json
   OR NOT EXISTS ${web_dir}/node_modules/uplot/package.json)
  message(FATAL_ERROR "web/node_modules is missing: run `npm ci` in ${web_dir} (scripts/setup.sh does it); "
                      "the player page and the console embed the pinned hls.js, mpegts.js and uPlot from there.")
endif()
find_program(GZIP_PROGRAM gzip REQUIRED)

set(web_inputs "")
foreach(entry IN LISTS web_assets)
  string(REGEX REPLACE "^[^=]*=" "" file "${entry}")
  list(APPEND web_inputs ${web_dir}/${file})
endforeach()
set(web_generated ${CMAKE_BINARY_DIR}/generated/web_assets_data.cpp)
string(REPLACE ";" "|" web_assets_arg "${web_assets}")
add_custom_command(
  OUTPUT ${web_generated}
  COMMAND ${CMAKE_COMMAND} -DWEB_DIR=${web_dir} -DOUTPUT=${web_generated} -DGZIP=${GZIP_PROGRAM}
          "-DASSETS=${web_assets_arg}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_web.cmake
  DEPENDS ${web_inputs} ${PROJECT_SOURCE_DIR}/cmake/embed_web.cmake ${PROJECT_SOURCE_DIR}/cmake/web_assets.cmake
  COMMENT "Embedding web/ into liveorigin_web"
  VERBATIM)
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/generated)
target_sources(liveorigin_web PRIVATE ${web_generated})
