@allure.label.epic:Operations @needs.chat_socket
Feature: Operators can tell whether an instance can serve, and what it runs
  An orchestrator restarts an instance that says it is not alive, and sends
  traffic only to instances that say they are ready. So an instance says it is
  alive while its process serves, whatever its dependencies do, and says it is
  ready only when its database answers. It also names what is deployed, so a
  report or an incident can say which build it was about.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @normal @allure.label.story:Health
  Scenario: A serving instance says it is ready, with its database up
    When the operator asks one server whether it is ready
    Then it answers that it is ready, with its database up

  @normal @allure.label.story:Version
  Scenario: The platform names what is deployed
    When the operator asks the platform what it runs
    Then it names what is deployed: a name, a version and a commit
