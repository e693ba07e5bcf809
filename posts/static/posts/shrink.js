/* Shrinks a photo in the browser before upload (a phone photo is 3-8 MB; a village's mobile
   data is slow and the server keeps at most 2000 px anyway). Optional: without canvas or
   DataTransfer support the original file is sent and the server reduces it. */
(function () {
  "use strict";
  var MAX = 1600;
  function shrink(input) {
    var file = input.files && input.files[0];
    if (!file || !/^image\/(jpeg|png)$/.test(file.type) || !window.DataTransfer) return;
    // A data: URL, not a blob: one: the site's Content-Security-Policy allows img-src data:.
    var reader = new FileReader();
    var img = new Image();
    img.onload = function () {
      var scale = Math.min(1, MAX / Math.max(img.width, img.height));
      if (scale === 1 && file.size < 1024 * 1024) return;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.width * scale);
      canvas.height = Math.round(img.height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        if (!blob || blob.size >= file.size) return;
        var dt = new DataTransfer();
        dt.items.add(new File([blob], "photo.jpg", { type: "image/jpeg" }));
        input.files = dt.files;
      }, "image/jpeg", 0.85);
    };
    reader.onload = function () { img.src = reader.result; };
    reader.readAsDataURL(file);
  }
  document.addEventListener("change", function (event) {
    var t = event.target;
    if (t && t.matches && t.matches("input[type=file][data-shrink]")) shrink(t);
  });
})();
