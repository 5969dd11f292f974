// GraphiQL against this service's /graphql. The headers editor is open with an empty
// Authorization header: paste "Bearer <access_token>" there. Headers are not persisted
// (shouldPersistHeaders: false), so a token does not outlive the tab. ?query= preloads a
// query (links and tests use it).
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  var props = {
    fetcher: fetcher,
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
