package serve_test

import "github.com/chromedp/cdproto/runtime"

type runtimeEvaluateParams = runtime.EvaluateParams
