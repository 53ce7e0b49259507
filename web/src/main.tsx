import { render } from "preact";
import "./styles/app.css";
import { App } from "./App.js";
import { loadSession } from "./api/session.js";

const root = document.getElementById("app");
if (root) {
  render(<App />, root);
  void loadSession();
}
