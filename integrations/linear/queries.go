package linear

// The queries ask for the fields Ocean's Linear integration asks for, so
// items carry the same keys; page size and cursor are variables.

const teamsQuery = `query Teams($first: Int!, $after: String) {
  teams(first: $first, after: $after) {
    edges { cursor node { id name key description organization { id name urlKey } } }
    pageInfo { hasNextPage startCursor endCursor }
  }
}`

const labelsQuery = `query IssueLabels($first: Int!, $after: String, $childrenFirst: Int!) {
  issueLabels(first: $first, after: $after) {
    edges {
      cursor
      node {
        id createdAt updatedAt archivedAt name description color isGroup
        parent { id }
        children(first: $childrenFirst) { edges { node { id } } pageInfo { hasNextPage endCursor } }
      }
    }
    pageInfo { hasNextPage startCursor endCursor }
  }
}`

const labelChildrenQuery = `query IssueLabelChildren($id: String!, $first: Int!, $after: String) {
  issueLabel(id: $id) {
    children(first: $first, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
  }
}`

const issuesQuery = `query Issues($first: Int!, $after: String) {
  issues(first: $first, after: $after) {
    edges {
      cursor
      node {
        id createdAt updatedAt archivedAt number title priority estimate sortOrder
        startedAt completedAt startedTriageAt triagedAt canceledAt autoClosedAt autoArchivedAt
        dueDate slaStartedAt slaBreachesAt trashed snoozedUntilAt labelIds previousIdentifiers
        subIssueSortOrder priorityLabel integrationSourceType identifier url branchName
        customerTicketCount description descriptionState
        team { id name key }
        state { name }
        creator { name email }
        assignee { name email }
        parent { id identifier }
      }
    }
    pageInfo { hasNextPage startCursor endCursor }
  }
}`

// viewerQuery asks whose key this is: the cheapest query Linear answers
// only to a valid key.
const viewerQuery = `query Viewer { viewer { id } }`
