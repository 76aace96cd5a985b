// Test-only: read simulations (one JSON object per line) on stdin, answer one JSON line each on stdout:
// {"result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied", "ignored": [...]} or {"error": "..."}.
// The differential test (tests/test_policy_differential.py) compares these with iamlab's engine.
import { createInterface } from 'node:readline'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of lines) {
  if (!line.trim()) continue
  let answer
  try {
    const simulation = JSON.parse(line)
    const outcome = await runSimulation(simulation, { simulationMode: 'Strict' })
    if (outcome.resultType === 'error') {
      answer = { error: outcome.errors.message, details: outcome.errors }
    } else {
      const ignored = outcome.resultType === 'single' ? outcome.result.ignoredContextKeys || []
        : outcome.results.flatMap((r) => r.ignoredContextKeys || [])
      answer = { result: outcome.overallResult, ignored, kind: outcome.resultType }
    }
  } catch (error) {
    answer = { error: String(error) }
  }
  process.stdout.write(JSON.stringify(answer) + '\n')
}
