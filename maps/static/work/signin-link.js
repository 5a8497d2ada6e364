/* The one-time sign-in page (/work/login/link#TOKEN): the token rides in the address's
 * fragment, which browsers never send, so no access log, proxy or Referer holds it. Here it is
 * moved into the form, whose POST body redeems it, and out of the address bar and history. */
(function () {
  const token = decodeURIComponent(location.hash.slice(1));
  const form = document.getElementById("link-form");
  if (!token) {
    document.getElementById("no-link").hidden = false;
    return;
  }
  form.elements.link.value = token;
  form.querySelector("button").disabled = false;
  history.replaceState(null, "", location.pathname + location.search);
})();
