"""gkeras.applications: Keras 2.2.5's ImageNet models (keras.applications).

Each model is built with the layer names and order of keras_applications 1.0.8, so the
official weight files (downloaded by weights='imagenet' through gkeras.utils.get_file, from the
URLs and with the hashes Keras 2.2.5 uses) load by topology. Each module also has the
preprocess_input and decode_predictions that go with its model.

The model code is ported from keras_applications 1.0.8, under this notice:

    COPYRIGHT

    Copyright (c) 2016 - 2018, the respective contributors.
    All rights reserved.

    Each contributor holds copyright over their respective contributions.
    The project versioning (Git) records all such contribution source information.
    The initial code of this repository came from https://github.com/keras-team/keras
    (the Keras repository), hence, for author information regarding commits
    that occured earlier than the first commit in the present repository,
    please see the original Keras repository.

    LICENSE

    The MIT License (MIT)

    Permission is hereby granted, free of charge, to any person obtaining a copy
    of this software and associated documentation files (the "Software"), to deal
    in the Software without restriction, including without limitation the rights
    to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
    copies of the Software, and to permit persons to whom the Software is
    furnished to do so, subject to the following conditions:

    The above copyright notice and this permission notice shall be included in all
    copies or substantial portions of the Software.

    THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
    IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
    FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
    AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
    LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
    OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
    SOFTWARE.
"""
from . import imagenet_utils, resnet, resnet_v2
from .densenet import DenseNet121, DenseNet169, DenseNet201
from .inception_resnet_v2 import InceptionResNetV2
from .inception_v3 import InceptionV3
from .mobilenet import MobileNet
from .mobilenet_v2 import MobileNetV2
from .nasnet import NASNetLarge, NASNetMobile
from .resnet import ResNet101, ResNet152
from .resnet50 import ResNet50
from .resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from .vgg16 import VGG16
from .vgg19 import VGG19
from .xception import Xception
