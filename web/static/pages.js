// The pages e-mail links lead to when no front end is configured. They call this
// server's own /v1/auth routes (same origin). The token is read from the link and then
// removed from the address bar, so it does not stay in the history.
(function () {
  "use strict";
  var token = new URLSearchParams(window.location.search).get("token") || "";
  if (token) {
    window.history.replaceState(null, "", window.location.pathname);
  }
  var $ = function (id) { return document.getElementById(id); };

  function show(text, kind) {
    var s = $("status");
    s.hidden = false;
    s.textContent = text;
    s.className = "status" + (kind ? " " + kind : "");
  }

  // call sends a JSON request and resolves to {status, body}.
  function call(method, path, body, bearer) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (bearer) { headers["Authorization"] = "Bearer " + bearer; }
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store" })
      .then(function (r) {
        return r.text().then(function (t) {
          var b = null;
          try { b = t ? JSON.parse(t) : null; } catch (e) { b = null; }
          return { status: r.status, body: b };
        });
      });
  }

  // problem turns an error answer into a sentence.
  function problem(r) {
    if (r.status === 422 && r.body && r.body.detail) {
      return r.body.detail.map(function (d) {
        var field = d.loc && d.loc.length > 1 ? d.loc[d.loc.length - 1] + ": " : "";
        return field + d.msg;
      }).join(" ");
    }
    if (r.status === 429 && r.body && r.body.details) {
      return "Too many attempts; try again in " + r.body.details.retry_after + " seconds.";
    }
    if (r.body && r.body.message) { return r.body.message + "."; }
    return "The server answered " + r.status + ".";
  }

  function busy(form, on) {
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = on; });
  }

  function verifyEmail() {
    if (!token) {
      show("This link has no token. Open the link from the e-mail as it is.", "error");
      $("resend").hidden = false;
      return;
    }
    call("POST", "/v1/auth/verify-email", { token: token }).then(function (r) {
      if (r.status === 200) {
        show("Your e-mail address is verified. You can close this page.", "ok");
        return;
      }
      show(r.status === 400 ? "This verification link is invalid, expired or already used." : problem(r), "error");
      $("resend").hidden = false;
    }, function () { show("The server could not be reached.", "error"); });
    $("resend").addEventListener("submit", function (ev) {
      ev.preventDefault();
      busy(ev.target, true);
      call("POST", "/v1/auth/resend-verification", { email: $("email").value }).then(function (r) {
        busy(ev.target, false);
        show(r.status === 200 ? "If that address has an unverified account, a new link is on its way." : problem(r),
          r.status === 200 ? "ok" : "error");
      });
    });
  }

  function resetPassword() {
    if (!token) {
      $("reset").hidden = true;
      show("This link has no token. Open the link from the e-mail as it is.", "error");
      return;
    }
    $("reset").addEventListener("submit", function (ev) {
      ev.preventDefault();
      if ($("password").value !== $("confirm").value) {
        show("The two passwords differ.", "error");
        return;
      }
      busy(ev.target, true);
      call("POST", "/v1/auth/reset-password", { token: token, new_password: $("password").value }).then(function (r) {
        busy(ev.target, false);
        if (r.status === 200) {
          $("reset").hidden = true;
          show("Your password is changed, and every session was signed out. Sign in with the new password.", "ok");
          return;
        }
        if (r.status === 400) {
          $("reset").hidden = true;
          show("This reset link is invalid, expired or already used. Ask for a new one.", "error");
          return;
        }
        show(problem(r), "error");
      }, function () { busy(ev.target, false); show("The server could not be reached.", "error"); });
    });
  }

  function acceptInvite() {
    if (!token) {
      show("This link has no token. Open the link from the e-mail as it is.", "error");
      return;
    }
    call("GET", "/v1/auth/invite-info?token=" + encodeURIComponent(token)).then(function (r) {
      if (r.status !== 200 || !r.body || !r.body.valid) {
        show(r.status === 200 ? "This invitation is invalid, expired, already used or withdrawn." : problem(r), "error");
        return;
      }
      show("You are invited as " + r.body.email + ". Create an account or sign in to join.");
      $("reg-email").value = r.body.email;
      $("login-username").value = r.body.email;
      $("choices").hidden = false;
    }, function () { show("The server could not be reached.", "error"); });

    function joined(text) {
      $("choices").hidden = true;
      show(text, "ok");
    }
    $("register").addEventListener("submit", function (ev) {
      ev.preventDefault();
      busy(ev.target, true);
      call("POST", "/v1/auth/register", { email: $("reg-email").value, username: $("reg-username").value,
        password: $("reg-password").value, invite_token: token }).then(function (r) {
        busy(ev.target, false);
        if (r.status === 200) {
          joined("Your account is created and you joined the organization. Welcome, " + r.body.user.username + ".");
          return;
        }
        show(problem(r), "error");
      });
    });
    $("login").addEventListener("submit", function (ev) {
      ev.preventDefault();
      busy(ev.target, true);
      call("POST", "/v1/auth/login", { username: $("login-username").value, password: $("login-password").value })
        .then(function (r) {
          if (r.status !== 200) { throw r; }
          // Joining is GraphQL only (acceptInvite); the access token stays in this page's memory.
          return call("POST", "/graphql", { query: "mutation Accept($token: String!) { acceptInvite(token: $token) { organization { name } role } }",
            variables: { token: token } }, r.body.access_token);
        })
        .then(function (r) {
          busy(ev.target, false);
          if (r.body && r.body.data && r.body.data.acceptInvite) {
            var m = r.body.data.acceptInvite;
            joined("You joined " + m.organization.name + " as " + m.role.toLowerCase() + ".");
            return;
          }
          var e = r.body && r.body.errors && r.body.errors[0];
          show(e ? e.message + "." : "The server answered " + r.status + ".", "error");
        }, function (r) { busy(ev.target, false); show(problem(r), "error"); });
    });
  }

  var pages = { "verify-email": verifyEmail, "reset-password": resetPassword, "accept-invite": acceptInvite };
  (pages[document.body.getAttribute("data-page")] || function () {})();
})();
