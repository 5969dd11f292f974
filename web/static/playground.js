// GraphiQL against this service's /graphql. The headers editor is open with an empty
// Authorization header: paste "Bearer <access_token>" there. Headers are not persisted,
// so a token does not outlive the tab: shouldPersistHeaders is false, and since GraphiQL's
// history still records each query's headers, its storage drops every "headers" value
// before writing. ?query= preloads a query (links and tests use it).
(function () {
  "use strict";
  function stripHeaders(v) {
    if (Array.isArray(v)) {
      return v.map(stripHeaders);
    }
    if (v && typeof v === "object") {
      Object.keys(v).forEach(function (k) {
        v[k] = k === "headers" ? null : stripHeaders(v[k]);
      });
    }
    return v;
  }
  var storage = {
    getItem: function (k) { return window.localStorage.getItem(k); },
    setItem: function (k, v) {
      try {
        v = JSON.stringify(stripHeaders(JSON.parse(v)));
      } catch (e) {
        // not JSON: a plain value such as the query text
      }
      window.localStorage.setItem(k, v);
    },
    removeItem: function (k) { window.localStorage.removeItem(k); },
    clear: function () { window.localStorage.clear(); },
    get length() { return window.localStorage.length; },
  };
  var params = new URLSearchParams(window.location.search);
  var fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  var props = {
    fetcher: fetcher,
    storage: storage,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: "headers",
    defaultHeaders: '{\n  "Authorization": ""\n}',
    defaultQuery:
      "# authbff GraphQL. Sign in with the login mutation, then put\n" +
      '# "Bearer <accessToken>" in the Authorization header below.\n' +
      "{\n  authConfig {\n    allowRegistration\n  }\n}\n",
  };
  if (params.get("query")) {
    props.query = params.get("query");
  }
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, props));
})();
