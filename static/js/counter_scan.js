/* The counter's 「扫码」: read the member card's QR code with the phone's camera, offline.
 *
 * Progressive enhancement: without a camera API (an old phone, plain http other than localhost)
 * nothing changes and the card number is typed as always. With one, a 「扫码」 button appears
 * beside the field; the camera opens on the page, and the first code read fills the field and
 * sends the form — exactly what typing the number and pressing 查询 does.
 *
 * Decoding: the browser's own BarcodeDetector where it reads QR codes (Android Chrome); otherwise
 * the vendored jsQR (static/vendor/jsQR/, Apache-2.0), loaded only when the camera first opens,
 * so the counter page stays small for everyone who types.
 *
 * The card's QR holds the card link (…/c/<token>/); the field gets the token alone, which the
 * counter accepts like a card number (rewards.services.find_customer).
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-card-scan]");
  if (!form) return;
  var field = form.querySelector("input[name=card]");
  var media = navigator.mediaDevices;
  if (!field || !media || typeof media.getUserMedia !== "function") return;

  var button = document.createElement("button");
  button.type = "button";
  button.className = "rw-scan-button";
  button.textContent = "扫码";
  button.setAttribute("aria-label", "用摄像头扫描积分卡二维码");
  form.querySelector("button[type=submit]").insertAdjacentElement("afterend", button);

  var box = document.createElement("div");
  box.className = "rw-scan";
  box.hidden = true;
  var video = document.createElement("video");
  video.setAttribute("playsinline", "");
  video.muted = true;
  var note = document.createElement("p");
  note.className = "help";
  note.setAttribute("role", "status");
  var stop = document.createElement("button");
  stop.type = "button";
  stop.textContent = "取消扫码";
  box.append(video, note, stop);
  form.insertAdjacentElement("afterend", box);

  var stream = null;
  var running = false;
  var canvas = document.createElement("canvas");
  var jsqrLoading = null;

  /* A card link → its token; anything else (a typed card number) as it is. */
  function cardValue(text) {
    var value = (text || "").trim();
    var match = value.match(/\/c\/([^/?#]+)\/?(?:[?#].*)?$/);
    return match ? decodeURIComponent(match[1]) : value;
  }

  function submitValue(text) {
    field.value = cardValue(text);
    close();
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function loadJsqr() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    if (!jsqrLoading) {
      jsqrLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = form.getAttribute("data-jsqr");
        script.onload = function () { resolve(window.jsQR); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return jsqrLoading;
  }

  /* A function frame → Promise of the text read (or null), by whichever decoder there is. */
  function makeReader() {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") < 0) return jsqrReader();
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function () {
          return detector.detect(video).then(function (codes) {
            return codes.length ? codes[0].rawValue : null;
          });
        };
      }, jsqrReader);
    }
    return jsqrReader();
  }

  function jsqrReader() {
    return loadJsqr().then(function (jsQR) {
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function () {
        var width = video.videoWidth, height = video.videoHeight;
        if (!width || !height) return Promise.resolve(null);
        // A phone camera gives 1280 px or more; 640 px reads a card held at the counter and
        // keeps each frame's decoding short on a cheap phone.
        var scale = Math.min(1, 640 / Math.max(width, height));
        canvas.width = Math.round(width * scale);
        canvas.height = Math.round(height * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        return Promise.resolve(code ? code.data : null);
      };
    });
  }

  function loop(read) {
    if (!running) return;
    read().then(function (text) {
      if (!running) return;
      if (text) submitValue(text);
      else window.setTimeout(function () { loop(read); }, 150);
    }, function () {
      window.setTimeout(function () { loop(read); }, 300);
    });
  }

  function close() {
    running = false;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
    box.hidden = true;
    button.disabled = false;
  }

  function open() {
    button.disabled = true;
    box.hidden = false;
    note.textContent = "正在打开摄像头……";
    media.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      return video.play();
    }).then(function () {
      running = true;
      note.textContent = "把积分卡上的二维码对准摄像头。";
      return makeReader();
    }).then(function (read) {
      loop(read);
    }).catch(function () {
      close();
      box.hidden = false;
      note.textContent = "无法打开摄像头（未允许使用摄像头，或手机不支持），请直接输入卡号。";
      field.focus();
    });
  }

  button.addEventListener("click", open);
  stop.addEventListener("click", function () { close(); field.focus(); });
  window.addEventListener("pagehide", close);
}());
