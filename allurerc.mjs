// Allure 3 configuration for the acceptance report.
export default {
  name: "Chat platform acceptance",
  output: "./allure-report",
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
