package gather

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/kubelab/kubelab/report"
)

type reportFact = report.Fact

// noSerializer lets a REST client fetch raw bytes (the service proxy answer)
// without a scheme.
type noSerializer struct{}

func (noSerializer) SupportedMediaTypes() []runtime.SerializerInfo {
	return serializer.NewCodecFactory(runtime.NewScheme()).WithoutConversion().SupportedMediaTypes()
}
func (noSerializer) EncoderForVersion(e runtime.Encoder, _ runtime.GroupVersioner) runtime.Encoder {
	return e
}
func (noSerializer) DecoderToVersion(d runtime.Decoder, _ runtime.GroupVersioner) runtime.Decoder {
	return d
}
