// Allure 3 configuration for the acceptance report.
// History: runs on one checkout append to a JSONL file outside the folders `make run` wipes, so the
// report shows trends and new, fixed and flaky results. ALLURE_HISTORY=off turns it off; a path
// points it elsewhere (a file that CI restores and saves between runs, for example).
const history = process.env.ALLURE_HISTORY ?? "./.allure-history/history.jsonl";
const HISTORY_LIMIT = 30;

export default {
  name: "Chat platform acceptance",
  output: "./allure-report",
  ...(history && history !== "off" ? { historyPath: history, historyLimit: HISTORY_LIMIT } : {}),
  plugins: {
    awesome: {
      options: {
        reportName: "Chat platform acceptance",
        groupBy: ["epic", "feature", "story"],
      },
    },
  },
  // A failed assertion is the product's fault; a broken test is the test bed's
  // (service unreachable, a timeout in the stack, a hook or clean-up error).
  categories: {
    rules: [
      { name: "Product defects", matchers: { statuses: ["failed"] } },
      { name: "Environment", matchers: { statuses: ["broken"] } },
    ],
  },
};
